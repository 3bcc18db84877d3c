"""Rows kept only for a while, and their pruning: each table whose rows no reader needs
after some time, how long that is, and why. The scheduler's sweep calls `prune`, which
deletes a batch per transaction, so a large backlog never holds a table for long.

Everything else (the advice log, questions, escalations, members, runs, prompts, answers,
fire claims) is history a report, `why` or an exactly-once check reads, and is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import structlog

from bot.db.engine import Database
from bot.db.models_process import Heartbeat
from bot.db.models_schedule import PromptMessage
from bot.db.models_slack import SlackEvent, SlackMessagePart, slack_oauth_states

log = structlog.get_logger(__name__)

SLACK_EVENTS = timedelta(days=1)
"""Slack retries a delivery for minutes; a day of event ids is plenty to ignore resends."""
SLACK_MESSAGE_PARTS = timedelta(days=365)
"""A click on a long message's buttons (an escalation's Resolve or Reopen) finds its first
part through these, and Slack's buttons never expire. A year after the parts last changed
covers any realistic late click, and free workspaces delete messages after a year."""
HEARTBEATS = timedelta(hours=1)
"""A process not seen for this long is long dead (`bot.liveness`): a missing row and a
stale one mean the same to `gone`, so this only keeps the table small."""
PROMPT_MESSAGES = timedelta(days=30)
"""A Reply to a check-in prompt or reminder finds its team through these. The longest
answer window is 7 days, and a late answer still counts for that team's next check-in."""
BATCH = 1000
BATCHES_PER_SWEEP = 10
"""A backlog larger than this many batches is left for the next sweep, so pruning never
delays the sweep's scheduled work for long."""


@dataclass(frozen=True)
class Expiring:
    """A table whose rows are kept `keep` after the time in its `dated_by` column."""

    table: sa.Table
    dated_by: str
    keep: timedelta
    naive: bool = False
    """The column holds naive UTC (slack_sdk's own tables)."""

    def cutoff(self, now: datetime) -> datetime:
        at = now - self.keep
        return at.astimezone(UTC).replace(tzinfo=None) if self.naive else at


EXPIRING = (
    Expiring(SlackEvent.__table__, "received_at", SLACK_EVENTS),  # type: ignore[attr-defined]
    Expiring(SlackMessagePart.__table__, "written_at", SLACK_MESSAGE_PARTS),  # type: ignore[attr-defined]
    Expiring(PromptMessage.__table__, "sent_at", PROMPT_MESSAGES),  # type: ignore[attr-defined]
    Expiring(Heartbeat.__table__, "seen_at", HEARTBEATS),  # type: ignore[attr-defined]
    # slack_sdk rejects a state past `expire_at` and deletes the ones it consumes; these
    # are the installs started and never finished.
    Expiring(slack_oauth_states, "expire_at", timedelta(0), naive=True),
)


async def prune(db: Database, now: datetime, batch: int = BATCH) -> dict[str, int]:
    """Delete what has expired at `now`, up to `BATCHES_PER_SWEEP` batches a table; how
    many rows went, by table (tables with none left out)."""
    gone: dict[str, int] = {}
    for expiring in EXPIRING:
        count = await _prune(db, expiring, now, batch)
        if count:
            gone[expiring.table.name] = count
    if gone:
        log.info("expired rows pruned", rows=gone)
    return gone


async def _prune(db: Database, expiring: Expiring, now: datetime, batch: int) -> int:
    table = expiring.table
    key = list(table.primary_key.columns)
    expired = sa.select(*key).where(table.c[expiring.dated_by] < expiring.cutoff(now)).limit(batch)
    which = key[0].in_(expired) if len(key) == 1 else sa.tuple_(*key).in_(expired)
    total = 0
    for _ in range(BATCHES_PER_SWEEP):
        async with db.session() as session:
            conn = await session.connection()
            deleted = (await conn.execute(sa.delete(table).where(which))).rowcount
            await session.commit()
        total += deleted
        if deleted < batch:
            break
    return total
