"""When Slack refuses a post that matters (the asker's channel archived, the queue channel
gone, a missing scope), nobody's question or answer is lost, and people are told."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.db.models import Advice, AdviceSource, Escalation, EscalationStatus
from scheduler.engine import Engine
from tests.slack.conftest import CAIO, DANA, GENERAL, QUEUE, SAM, SlackHarness

QUESTION = "can we send customer emails to OpenAI under our DPA?"
ANSWER = "Yes, with the zero-retention addendum signed."


async def _asked(slack: SlackHarness) -> str:
    """Ask; the ts of the answer, whose Escalate button the tests click."""
    await slack.command(f"ask {QUESTION}")
    await slack.settle()
    return str(slack.api.messages[GENERAL][-1]["ts"])


async def _escalated(slack: SlackHarness) -> str:
    """Ask and escalate: the queue thread's ts."""
    answer_ts = await _asked(slack)
    await slack.click(slack.api.calls("chat.postMessage")[-1], "Escalate", ts=answer_ts)
    await slack.settle()
    return str(slack.api.messages[QUEUE][0]["ts"])


async def _caio_replies(slack: SlackHarness, queue_ts: str) -> None:
    reply = {
        "type": "message",
        "channel": QUEUE,
        "user": CAIO,
        "text": ANSWER,
        "ts": "1764000100.000001",
        "thread_ts": queue_ts,
        "channel_type": "channel",
    }
    assert (await slack.event(reply)).status == 200
    await slack.settle()


def _private(slack: SlackHarness) -> list[str]:
    """What only the actor saw: ephemerals to a thread reply, answers to a click."""
    return [c.text for c in slack.api.delivered("chat.postEphemeral")] + [
        c.text for c in slack.api.calls("response_url")
    ]


async def _escalation(slack: SlackHarness) -> Escalation:
    async with slack.bot.db.session() as session:
        return (await session.exec(select(Escalation))).one()


async def _caio_advice(slack: SlackHarness) -> list[Advice]:
    async with slack.bot.db.session() as session:
        rows = await session.exec(select(Advice).where(Advice.source == AdviceSource.CAIO))
        return list(rows)


async def test_an_answer_the_askers_channel_refuses_reaches_them_by_direct_message(
    slack: SlackHarness,
) -> None:
    queue_ts = await _escalated(slack)
    slack.api.fail_next("chat.postMessage", 200, error="is_archived")

    await _caio_replies(slack, queue_ts)

    direct = [c for c in slack.api.delivered("chat.postMessage") if c.args["channel"][0] == "D"]
    assert [c.args["channel"] for c in direct] == ["D" + DANA[1:]]
    assert ANSWER in direct[0].text and "couldn't post this in the thread" in direct[0].text
    assert direct[0].buttons == ["Helpful", "Not helpful"]
    (told,) = _private(slack)
    assert "sent to the asker by direct message" in told
    assert (await _escalation(slack)).status == EscalationStatus.ANSWERED
    assert len(await _caio_advice(slack)) == 1


async def test_an_answer_that_reaches_nobody_stays_open_and_unlogged(
    slack: SlackHarness,
) -> None:
    queue_ts = await _escalated(slack)
    slack.api.fail_next("chat.postMessage", 200, times=2, error="is_archived")

    await _caio_replies(slack, queue_ts)

    (told,) = _private(slack)
    assert "Couldn't deliver your answer to #1" in told and "stays open" in told
    assert slack.api.calls("reactions.add") == []  # no ✅: it was not relayed
    escalation = await _escalation(slack)
    assert (escalation.status, escalation.answer_advice_id) == (EscalationStatus.OPEN, None)
    assert await _caio_advice(slack) == []

    await _caio_replies(slack, queue_ts)  # the channel is unarchived: answering again works

    assert (await _escalation(slack)).status == EscalationStatus.ANSWERED
    assert len(await _caio_advice(slack)) == 1


async def test_a_refused_checkmark_does_not_hide_the_relay_or_its_confirmation(
    slack: SlackHarness,
) -> None:
    queue_ts = await _escalated(slack)
    slack.api.fail_next("reactions.add", 200, error="missing_scope")

    await _caio_replies(slack, queue_ts)

    relay = slack.api.delivered("chat.postMessage")[-1]
    assert relay.args["channel"] == GENERAL and ANSWER in relay.text
    (told,) = _private(slack)
    assert "Answer to #1 relayed and logged" in told


async def test_escalate_clicked_again_queues_the_question_once(slack: SlackHarness) -> None:
    answer_ts = await _asked(slack)
    answer = slack.api.calls("chat.postMessage")[-1]

    for clicker in (DANA, DANA, SAM):
        await slack.click(answer, "Escalate", user=clicker, ts=answer_ts)
        await slack.settle()

    assert len(slack.api.messages[QUEUE]) == 1  # one ticket, one thread
    again = [t for t in _private(slack) if "already with the CAIO as #1" in t]
    assert len(again) == 2
    queue_ts = str(slack.api.messages[QUEUE][0]["ts"])
    await _caio_replies(slack, queue_ts)
    relays = [c for c in slack.api.delivered("chat.postMessage") if ANSWER in c.text]
    assert len(relays) == 1


async def test_a_queue_that_refuses_the_escalation_keeps_it_and_posts_it_later(
    slack: SlackHarness, clock: ManualClock
) -> None:
    answer_ts = await _asked(slack)
    slack.api.fail_next("chat.postMessage", 200, error="channel_not_found")

    await slack.click(slack.api.calls("chat.postMessage")[-1], "Escalate", ts=answer_ts)
    await slack.settle()

    assert slack.api.messages[QUEUE] == []
    told = slack.api.delivered("chat.postMessage")[-1]
    assert told.args["channel"] == GENERAL
    assert "Escalated to the CAIO as #1" in told.text and "I'll keep trying" in told.text
    assert (await _escalation(slack)).queue_address is None

    engine = Engine(slack.bot)
    await engine.run_due(clock.now() + timedelta(minutes=1))  # its first post may be waiting
    await slack.bot.drain()
    assert slack.api.messages[QUEUE] == []
    clock.advance(timedelta(minutes=6))
    await engine.run_due()
    await engine.run_due()  # once per period, whoever looks again
    await slack.bot.drain()

    (ticket,) = slack.api.messages[QUEUE]
    assert QUESTION in str(ticket)
    assert (await _escalation(slack)).queue_address is not None


async def test_asking_where_the_bot_is_not_a_member_says_how_to_invite_it(
    slack: SlackHarness,
) -> None:
    slack.api.fail_next("chat.postMessage", 200, error="not_in_channel")

    await slack.command(f"ask {QUESTION}")
    await slack.settle()

    (told,) = _private(slack)
    assert told.startswith("I couldn't post that: I'm not in that channel: invite")
    assert "something went wrong" not in told


async def test_a_file_the_caio_attaches_is_named_as_not_relayed(slack: SlackHarness) -> None:
    queue_ts = await _escalated(slack)
    diagram = {"id": "F0DIAGRAM", "name": "dpa-flow.png", "mimetype": "image/png"}
    reply = {
        "type": "message",
        "subtype": "file_share",
        "channel": QUEUE,
        "user": CAIO,
        "text": "",
        "ts": "1764000100.000001",
        "thread_ts": queue_ts,
        "channel_type": "channel",
        "files": [diagram],
    }

    await slack.event(reply)
    await slack.settle()
    (told,) = _private(slack)
    assert told.startswith("Nothing was sent to the asker: dpa-flow.png not relayed")
    assert (await _escalation(slack)).status == EscalationStatus.OPEN

    await slack.event({**reply, "text": ANSWER, "ts": "1764000100.000002"})
    await slack.settle()
    relay = slack.api.delivered("chat.postMessage")[-1]
    assert relay.args["channel"] == GENERAL and ANSWER in relay.text
    assert "dpa-flow.png not relayed" in _private(slack)[-1]
