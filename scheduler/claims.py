"""Exactly-once fires: every scheduled send is claimed by inserting a unique
(job, ref, fire_at) row before anything is sent.

`INSERT … ON CONFLICT DO NOTHING RETURNING` on both SQLite and PostgreSQL: a worker that
gets no row back lost the race (or a restart already did it) and sends nothing. Claims are
batched (a busy minute's stand-ups are claimed a hundred per statement) and can share the
transaction that writes what the fire sends (`claim_on`).

A fire claimed to be sent is `sending` until its worker confirms it (`sent`, `note`) or
records it `failed` (the platform down past its client's retries, the database
restarting); a later sweep takes a failed fire back (`retake`, one worker wins) and sends
again, as `retrying`, until the fire is older than the grace window (`give_up`). Sending
and retrying hold the fire while its worker lives (`bot.liveness`: the claim's `worker` is
the process's heartbeat name) and for at most `RETAKE_LEASE`, a live worker's sends being
cut off at `SEND_BOUND` (`in_time`): if its worker dies (kill -9, lost host) or stops
before writing the outcome, the fire is taken again (or given up) like a failed one by the
next sweep after its heartbeat lapses, and a live worker that never wrote it loses the fire
when the lease lapses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select, update

from bot.calendar import zone
from bot.db.engine import Database
from bot.db.models_schedule import FireClaim, Outcome
from bot.liveness import gone
from bot.text import shorten

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Fire:
    """One thing due at one time: `job` says what (prompt, remind, summary, …), `ref` which."""

    client_id: str
    job: str
    ref: str
    fire_at: datetime
    outcome: Outcome = Outcome.SENT
    reason: str = ""

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.job, self.ref, self.fire_at)


async def claim(
    db: Database, fires: Sequence[Fire], *, now: datetime, worker: str, leased: bool = False
) -> list[Fire]:
    """The fires this worker won, in the order given; the rest belong to someone else.
    `leased`: a fire to send is `sending` until confirmed, and taken again if it never is."""
    if not fires:
        return []
    async with db.session() as session:
        conn = await session.connection()
        won = await claim_on(conn, fires, now=now, worker=worker, leased=leased)
        await session.commit()
    return won


async def claim_on(
    conn: AsyncConnection,
    fires: Sequence[Fire],
    *,
    now: datetime,
    worker: str,
    leased: bool = False,
) -> list[Fire]:
    """`claim` inside the caller's transaction, so that what a fire writes (its run and
    prompts) commits together with its claim, or not at all."""
    if not fires:
        return []
    table = FireClaim.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["job", "ref", "fire_at"])
        .returning(table.c.job, table.c.ref, table.c.fire_at)
    )
    rows = [
        {
            "client_id": f.client_id,
            "job": f.job,
            "ref": f.ref,
            "fire_at": f.fire_at,
            "claimed_at": now,
            "worker": worker,
            "outcome": (
                Outcome.SENDING if leased and f.outcome == Outcome.SENT else f.outcome
            ).value,
            "reason": f.reason,
        }
        for f in fires
    ]
    # One compiled statement, executed as batched multi-row inserts ("insertmanyvalues").
    result = await conn.execute(statement, rows)
    won = {(job, ref, fire_at) for job, ref, fire_at in result.all()}
    return [f for f in fires if f.key in won]


RETRY_AFTER = timedelta(minutes=1)
RETAKE_LEASE = timedelta(minutes=10)
"""How long a sending or retaken fire stays its worker's however alive that worker is; its
send is cut off at `SEND_BOUND`, so a live worker has written the outcome before another
may take the fire. A dead worker's fire is free sooner, once it is `gone`."""
SEND_BOUND = RETAKE_LEASE / 2
TRYING = "; trying again"


class CutOff(Exception):
    """A send still running at its pass's deadline: recorded failed, and tried again."""


def deadline() -> float:
    """When a pass's sends, all claimed at its start, must have ended (event-loop time)."""
    return asyncio.get_running_loop().time() + SEND_BOUND.total_seconds()


@asynccontextmanager
async def in_time(by: float | None) -> AsyncIterator[None]:
    """Cut off at `by` (if any) what runs inside (a wait for a turn, the platform's own
    retries: a 429's Retry-After, a hanging connection), or the fire's lease would lapse
    while its worker is still sending, and another worker would send it too."""
    bound = asyncio.timeout_at(by)
    try:
        async with bound:
            yield
    except TimeoutError:
        if not bound.expired():
            raise
        raise CutOff(
            f"cut off after {SEND_BOUND.total_seconds() / 60:.0f} minutes, still sending"
        ) from None


def failure(error: BaseException) -> str:
    """An exception as a fire's record shows it."""
    if isinstance(error, CutOff):
        return str(error)
    return shorten(f"{type(error).__name__}: {error}", 300)


async def note(db: Database, fire: Fire, reason: str, outcome: Outcome | None = None) -> None:
    """Add what happened (who was prompted, who was away) to a claimed fire."""
    values: dict[str, Any] = {"reason": reason}
    if outcome is not None:
        values["outcome"] = outcome.value
    async with db.session() as session:
        await session.exec(
            update(FireClaim)
            .where(
                col(FireClaim.job) == fire.job,
                col(FireClaim.ref) == fire.ref,
                col(FireClaim.fire_at) == fire.fire_at,
            )
            .values(**values)
        )
        await session.commit()


async def sent(db: Database, fires: Sequence[Fire]) -> None:
    """Confirm fires that went out as they were claimed (their reason is the claim's), in
    one statement for a busy minute's stand-ups."""
    if not fires:
        return
    table = FireClaim.__table__  # type: ignore[attr-defined]
    async with db.session() as session:
        conn = await session.connection()
        await conn.execute(
            sa.update(table)
            .where(
                table.c.job == sa.bindparam("j"),
                table.c.ref == sa.bindparam("r"),
                table.c.fire_at == sa.bindparam("at"),
            )
            .values(outcome=Outcome.SENT.value),
            [{"j": f.job, "r": f.ref, "at": f.fire_at} for f in fires],
        )
        await session.commit()


async def failed(db: Database, fire: Fire, reason: str) -> None:
    """A claimed fire that did not go out: `retake` hands it to a later sweep."""
    await note(db, fire, reason + TRYING, Outcome.FAILED)


_HELD = (Outcome.SENDING, Outcome.RETRYING)


def _lapsed(now: datetime) -> Any:
    """Sent or retaken by a worker that stopped before writing the outcome: one that is
    `gone` (killed, or stopped with the fire unfinished) at once, any after the lease."""
    return sa.and_(
        col(FireClaim.outcome).in_(_HELD),
        sa.or_(
            col(FireClaim.claimed_at) <= now - RETAKE_LEASE,
            gone(col(FireClaim.worker), now),
        ),
    )


async def retake(db: Database, *, now: datetime, since: datetime, worker: str) -> list[FireClaim]:
    """Failed fires due since `since` and not tried for `RETRY_AFTER`, and sends or retakes
    whose lease lapsed, taken back for this worker; a compare-and-set on the claim's outcome
    and time, so one worker wins each."""
    async with db.session() as session:
        rows = list(
            await session.exec(
                select(FireClaim)
                .where(
                    col(FireClaim.fire_at) >= since,
                    sa.or_(
                        sa.and_(
                            col(FireClaim.outcome) == Outcome.FAILED,
                            col(FireClaim.claimed_at) <= now - RETRY_AFTER,
                        ),
                        _lapsed(now),
                    ),
                )
                .order_by(col(FireClaim.id))
            )
        )
        won = []
        for row in rows:
            # A claim that was never confirmed holds what it would have said once sent.
            reason = _stopped(row) + TRYING if row.outcome == Outcome.SENDING else row.reason
            result = await session.exec(
                update(FireClaim)
                .where(
                    col(FireClaim.id) == row.id,
                    col(FireClaim.outcome) == row.outcome,
                    col(FireClaim.claimed_at) == row.claimed_at,
                )
                .values(
                    outcome=Outcome.RETRYING.value, claimed_at=now, worker=worker, reason=reason
                )
            )
            if result.rowcount == 1:
                if row.outcome in _HELD:
                    log.warning(
                        f"{row.outcome} lapsed", job=row.job, ref=row.ref, worker=row.worker
                    )
                won.append(row)
        await session.commit()
    return won


async def give_up(db: Database, *, now: datetime, since: datetime, after: str) -> None:
    """Failed fires, and lapsed sends and retakes, now older than the grace window: their
    record says they will not be tried again, and why."""
    async with db.session() as session:
        rows = list(
            await session.exec(
                select(FireClaim).where(
                    col(FireClaim.fire_at) < since,
                    sa.or_(
                        sa.and_(
                            col(FireClaim.outcome) == Outcome.FAILED,
                            col(FireClaim.reason).endswith(TRYING),
                        ),
                        _lapsed(now),
                    ),
                )
            )
        )
        for row in rows:
            if row.outcome == Outcome.SENDING:
                row.reason = f"{_stopped(row)}; gave up {after}"
            else:
                why = (
                    f"still failing {after}"
                    if row.outcome == Outcome.FAILED
                    else f"its retry by {row.worker} stopped before it finished; not sent {after}"
                )
                row.reason = row.reason.removesuffix(TRYING) + f"; gave up: {why}"
            row.outcome = Outcome.FAILED
            session.add(row)
        await session.commit()


def _stopped(row: FireClaim) -> str:
    """A `sending` claim that lapsed: its worker stopped before confirming it."""
    return (
        f"not sent (due {row.fire_at:%Y-%m-%d %H:%M} UTC): its worker {row.worker} stopped "
        "before it was sent"
    )


def shown(row: FireClaim, stopped: bool, tz: str = "UTC") -> str:
    """A fire's record as `why` shows it: one being sent is not "sent" until its worker
    confirms it, and a send or retake whose worker `stopped` (`last` says) is neither
    sending nor "trying again" (the next sweep of any running worker takes it again or
    gives up)."""
    if row.outcome == Outcome.SENDING:
        if stopped:
            return _stopped(row) + "; the next sweep tries again or gives up"
        since = row.claimed_at.astimezone(zone(tz))
        return f"sending since {since:%H:%M} {tz}, not finished yet"
    if row.outcome == Outcome.RETRYING and stopped:
        return (
            row.reason.removesuffix(TRYING)
            + f"; its retry by {row.worker} stopped before it finished"
            + "; the next sweep tries again or gives up"
        )
    return row.reason or f"{row.outcome} {row.fire_at:%Y-%m-%d}"


async def last(
    db: Database, client_id: str, jobs: Sequence[str], ref: str, now: datetime
) -> tuple[FireClaim, bool] | None:
    """The most recent fire of these jobs, for `why`, and whether its worker stopped before
    finishing it, as the next sweep will judge (`_lapsed`)."""
    async with db.session() as session:
        rows = await session.exec(
            select(FireClaim, _lapsed(now))
            .where(
                FireClaim.client_id == client_id,
                col(FireClaim.job).in_(jobs),
                FireClaim.ref == ref,
            )
            .order_by(col(FireClaim.fire_at).desc(), col(FireClaim.id).desc())
            .limit(1)
        )
        found = rows.first()
    if found is None:
        return None
    row, stopped = found
    return row, bool(stopped)
