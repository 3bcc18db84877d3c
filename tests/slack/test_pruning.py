"""Slack's rows kept only for a while (`bot.retention`): the scheduler's sweep deletes them
once no reader needs them, and keeps what a resend, a click or an install still needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import SQLModel, func, select

from bot import retention
from bot.clock import ManualClock
from bot.db.models_slack import SlackEvent, SlackMessagePart, slack_oauth_states
from scheduler.engine import Engine
from tests.slack.conftest import CAIO, GENERAL, QUEUE, SlackHarness
from tests.slack.test_escalation import _queue_updates

LONG_QUESTION = ("may prompts compare a<b & c>d for pricing? " * 64).strip()


async def _count(slack: SlackHarness, table: sa.Table | type[SQLModel]) -> int:
    async with slack.bot.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def _sweep(slack: SlackHarness) -> None:
    """One pass of the periodic sweep, as APScheduler runs it every 15 seconds."""
    engine = Engine(slack.bot, sweep_seconds=3600)
    await engine.start()
    try:
        await engine.sweep()
    finally:
        await engine.stop()


async def _add_states(slack: SlackHarness, *expiring: datetime) -> None:
    """OAuth states as slack_sdk writes them when an install starts (naive UTC)."""
    async with slack.bot.db.session() as session:
        conn = await session.connection()
        for n, at in enumerate(expiring):
            naive = at.astimezone(UTC).replace(tzinfo=None)
            await conn.execute(sa.insert(slack_oauth_states).values(state=f"s{n}", expire_at=naive))
        await session.commit()


def _mention(slack: SlackHarness) -> dict[str, object]:
    text = "<@UBOT> what is a context window?"
    return {
        "type": "app_mention",
        "channel": GENERAL,
        "user": CAIO,
        "text": text,
        "ts": slack.api.next_ts(),
    }


async def test_the_sweep_prunes_what_slack_no_longer_needs(
    slack: SlackHarness, clock: ManualClock
) -> None:
    await slack.command(f"escalate {LONG_QUESTION}")
    await slack.settle()
    first_ts, last_ts = (m["ts"] for m in slack.api.messages[QUEUE])
    last = [c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE][-1]
    await slack.event(_mention(slack), event_id="EvOld")
    await _add_states(slack, clock.now() + timedelta(minutes=10))  # an install started now
    await slack.settle()

    clock.advance(timedelta(days=2))
    await slack.event(_mention(slack), event_id="EvNew")
    await slack.settle()
    await _sweep(slack)

    async with slack.bot.db.session() as session:
        events = set(await session.exec(select(SlackEvent.event_id)))
    assert "EvOld" not in events and "EvNew" in events, "only Slack's retry window is kept"
    assert await _count(slack, slack_oauth_states) == 0, "an install abandoned days ago"
    assert await _count(slack, SlackMessagePart) == 1

    await slack.click(last, "Mark resolved", user=CAIO, ts=last_ts)
    await slack.settle()
    head, tail = _queue_updates(slack)
    assert (head.args["ts"], tail.args["ts"]) == (first_ts, last_ts), "still one message"
    assert tail.buttons == ["Reopen"] and "Resolved." in tail.text

    clock.advance(retention.SLACK_MESSAGE_PARTS)
    await _add_states(slack, clock.now() + timedelta(minutes=10))
    await _sweep(slack)
    assert await _count(slack, SlackMessagePart) == 0
    assert await _count(slack, slack_oauth_states) == 1, "an install under way is kept"


async def test_a_backlog_goes_a_batch_at_a_time(slack: SlackHarness, clock: ManualClock) -> None:
    """A database that ran for months before pruning existed: every expired row goes, in
    transactions of one batch each, and a row still inside its window stays."""
    async with slack.bot.db.session() as session:
        for n in range(7):
            session.add(SlackEvent(event_id=f"EvOld{n}", received_at=clock.now()))
        await session.commit()
    clock.advance(retention.SLACK_EVENTS + timedelta(minutes=1))
    async with slack.bot.db.session() as session:
        session.add(SlackEvent(event_id="EvNew", received_at=clock.now()))
        await session.commit()
    await slack.bot.liveness.beat()  # the running bot's own heartbeat, fresh as it would be

    assert await retention.prune(slack.bot.db, clock.now(), batch=2) == {"slack_event": 7}
    async with slack.bot.db.session() as session:
        assert list(await session.exec(select(SlackEvent.event_id))) == ["EvNew"]
