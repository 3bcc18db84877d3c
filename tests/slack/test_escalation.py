"""The CAIO answering in the queue thread on Slack: relayed to the asker's thread once
(whatever Slack retries), acknowledged with a reaction; teammates are not relayed."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot import escalations
from bot.clock import ManualClock
from bot.db.engine import sync_url
from bot.db.models import Escalation, EscalationStatus
from config.settings import Settings
from tests.conftest import requires_postgres
from tests.slack.conftest import CAIO, CLIENT, GENERAL, QUEUE, SAM, SlackHarness, running_slack
from tests.standins.slack_api import Call, SlackStandIn

QUESTION = "can we send customer emails to OpenAI under our DPA?"


async def _escalated_from_thread(slack: SlackHarness) -> tuple[str, str]:
    """Ask, click Escalate on the answer: (the asker's thread ts, the queue thread ts)."""
    await slack.command(f"ask {QUESTION}")
    await slack.settle()
    asked_ts = slack.api.messages[GENERAL][0]["ts"]
    answer = slack.api.calls("chat.postMessage")[-1]
    await slack.click(answer, "Escalate", ts=slack.api.messages[GENERAL][-1]["ts"])
    await slack.settle()
    queue_ts = slack.api.messages[QUEUE][0]["ts"]
    return asked_ts, queue_ts


def _reply(user: str, text: str, thread_ts: str, ts: str) -> dict[str, object]:
    return {
        "type": "message",
        "channel": QUEUE,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "channel_type": "channel",
    }


async def test_caio_reply_is_relayed_to_the_askers_thread(slack: SlackHarness) -> None:
    asked_ts, queue_ts = await _escalated_from_thread(slack)
    queued = next(c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE)
    assert "Escalation #1" in queued.text and QUESTION in queued.text
    assert queued.buttons == ["Mark resolved"]

    reply_ts = "1764000100.000001"
    body = _reply(CAIO, "Yes, with the zero-retention addendum signed.", queue_ts, reply_ts)
    assert (await slack.event(body)).status == 200
    await slack.settle()

    relay = slack.api.calls("chat.postMessage")[-1]
    assert relay.args["channel"] == GENERAL and relay.args["thread_ts"] == asked_ts
    assert "*carla* (CAIO) answered escalation #1" in relay.text
    assert "zero-retention addendum" in relay.text
    (reaction,) = slack.api.calls("reactions.add")
    assert reaction.args == {"channel": QUEUE, "timestamp": reply_ts, "name": "white_check_mark"}
    async with slack.bot.db.session() as session:
        escalation = (await session.exec(select(Escalation))).one()
    assert escalation.status == EscalationStatus.ANSWERED


async def test_a_teammate_chatting_in_the_queue_thread_is_not_relayed(
    slack: SlackHarness,
) -> None:
    _, queue_ts = await _escalated_from_thread(slack)
    before = len(slack.api.calls("chat.postMessage"))

    await slack.event(_reply(SAM, "I think legal looked at this last year", queue_ts, "1.5"))
    await slack.settle()

    assert len(slack.api.calls("chat.postMessage")) == before
    assert slack.api.calls("reactions.add") == []


async def test_slack_retries_never_relay_twice(slack: SlackHarness) -> None:
    _, queue_ts = await _escalated_from_thread(slack)
    before = len(slack.api.calls("chat.postMessage"))
    body = _reply(CAIO, "Yes, with the addendum.", queue_ts, "1764000100.000002")

    await slack.event(body, event_id="Ev0RELAY")
    await slack.event(body, event_id="Ev0RELAY", retry=1)
    await slack.event(body, event_id="Ev0RELAY", retry=2)
    await slack.settle()

    relays = slack.api.calls("chat.postMessage")[before:]
    assert len(relays) == 1 and len(slack.api.calls("reactions.add")) == 1


def _queue_updates(slack: SlackHarness) -> list[Call]:
    return [c for c in slack.api.delivered("chat.update") if c.args["channel"] == QUEUE]


async def test_mark_resolved_and_reopen_update_the_queue_message_in_place(
    slack: SlackHarness,
) -> None:
    _, queue_ts = await _escalated_from_thread(slack)
    queued = next(c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE)
    posts_before = len(slack.api.calls("chat.postMessage"))

    assert (await slack.click(queued, "Mark resolved", user=CAIO, ts=queue_ts)).status == 200
    await slack.settle()

    (resolved,) = _queue_updates(slack)
    assert resolved.args["ts"] == queue_ts
    assert resolved.buttons == ["Reopen"] and "Resolved." in resolved.text
    assert "Escalation #1" in resolved.text and QUESTION in resolved.text
    said = slack.api.calls("chat.postMessage")[posts_before:]
    assert [c.args["thread_ts"] for c in said] == [queue_ts]
    assert "marked resolved by carla" in said[0].text

    await slack.click(resolved, "Reopen", user=CAIO, ts=queue_ts)
    await slack.settle()

    reopened = _queue_updates(slack)[-1]
    assert reopened.args["ts"] == queue_ts and reopened.buttons == ["Mark resolved"]
    assert "Resolved." not in reopened.text
    async with slack.bot.db.session() as session:
        escalation = (await session.exec(select(Escalation))).one()
    assert escalation.status == EscalationStatus.OPEN


async def test_a_teammate_cannot_resolve_from_the_queue(slack: SlackHarness) -> None:
    _, queue_ts = await _escalated_from_thread(slack)
    queued = next(c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE)

    await slack.click(queued, "Mark resolved", user=SAM, ts=queue_ts)
    await slack.settle()

    assert _queue_updates(slack) == []
    refusal = slack.api.calls("response_url")[-1]
    assert refusal.args["response_type"] == "ephemeral" and "Only" in refusal.text


async def test_resolving_a_queue_message_too_long_for_one_slack_message(
    slack: SlackHarness,
) -> None:
    # Escaped, this question outgrows one section: the queue message continues in a second
    # Slack message, which carries the button.
    question = ("may prompts compare a<b & c>d for pricing? " * 64).strip()
    await slack.command(f"escalate {question}")
    await slack.settle()
    first, last = [c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE]
    first_ts, last_ts = (m["ts"] for m in slack.api.messages[QUEUE])
    assert "Escalation #" in first.text and first.buttons == []
    assert last.buttons == ["Mark resolved"] and "thread_ts" not in last.args

    await slack.click(last, "Mark resolved", user=CAIO, ts=last_ts)
    await slack.settle()

    head, tail = _queue_updates(slack)
    assert (head.args["ts"], tail.args["ts"]) == (first_ts, last_ts)
    assert tail.buttons == ["Reopen"] and "Resolved." in tail.text
    said = slack.api.calls("chat.postMessage")[-1]
    assert said.args["thread_ts"] == first_ts and "marked resolved" in said.text
    assert len([c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE]) == 3


async def test_a_long_queue_message_still_resolves_whole_after_a_restart(
    slack_settings: Settings, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    """Which Slack message continues which is in the database: a click on the last part,
    after the process that posted it is gone, still updates both parts."""
    question = ("may prompts compare a<b & c>d for pricing? " * 64).strip()
    async with running_slack(slack_settings, clock, slack_api) as before:
        await before.command(f"escalate {question}")
        await before.settle()
    first_ts, last_ts = (m["ts"] for m in slack_api.messages[QUEUE])
    last = [c for c in slack_api.calls("chat.postMessage") if c.args["channel"] == QUEUE][-1]
    async with running_slack(slack_settings, clock, slack_api) as after:
        await after.click(last, "Mark resolved", user=CAIO, ts=last_ts)
        await after.settle()
        head, tail = _queue_updates(after)
    assert (head.args["ts"], tail.args["ts"]) == (first_ts, last_ts)
    assert tail.buttons == ["Reopen"] and "Resolved." in tail.text


async def test_the_same_question_escalated_twice_at_once_is_queued_once(
    slack: SlackHarness,
) -> None:
    """Both slash commands are acknowledged before either is handled, as when two people
    send the same question within the same second."""
    await slack.command(f"escalate {QUESTION}")
    await slack.command(f"escalate {QUESTION.capitalize()}", user=SAM)
    await slack.settle()
    queued = [c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE]
    assert len([c for c in queued if "Escalation #" in c.text]) == 1
    linked = [c.text for c in queued if "linked to #1" in c.text]
    # Either may be handled first; the other is the one linked.
    assert linked and any(f"Also asked by {who} as #2" in linked[0] for who in ("sam", "dana"))


@requires_postgres
async def test_two_web_processes_queue_the_same_question_once(
    slack_settings: Settings, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    """Several `web` processes share one PostgreSQL (DESIGN.md): the same question sent to
    two of them at once still reaches the CAIO's queue once, the second linked to it."""
    async with (
        running_slack(slack_settings, clock, slack_api) as one,
        running_slack(slack_settings, clock, slack_api) as other,
    ):
        await one.command(f"escalate {QUESTION}")
        await other.command(f"escalate {QUESTION.capitalize()}", user=SAM)
        await asyncio.gather(one.settle(), other.settle())
    queued = [c.text for c in slack_api.calls("chat.postMessage") if c.args["channel"] == QUEUE]
    assert len([t for t in queued if "Escalation #" in t]) == 1
    assert any("linked to #1" in t for t in queued)


@requires_postgres
async def test_an_escalation_kept_waiting_by_another_process_is_queued_anyway(
    slack: SlackHarness, slack_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process is still opening one of this client's escalations (its queue post
    held up by a rate limit): after the wait this one reaches the queue, not an error."""
    monkeypatch.setattr(escalations, "LOCK_WAIT_SECONDS", 1)
    engine = sa.create_engine(sync_url(slack_settings.database_url))
    key = {"key": f"escalations:{CLIENT}"}
    with engine.connect() as other_process:
        other_process.execute(sa.text("SELECT pg_advisory_lock(hashtextextended(:key, 0))"), key)
        await slack.command(f"escalate {QUESTION}")
        await slack.settle()
        other_process.execute(sa.text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), key)
    engine.dispose()
    queued = [c.text for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE]
    assert any("Escalation #1" in t and QUESTION in t for t in queued)
