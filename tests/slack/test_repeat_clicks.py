"""Buttons stay on messages, in several people's view and after a click: a second click,
or someone else's, must not rate for the asker, bill twice or announce twice."""

from __future__ import annotations

from sqlmodel import select

from bot.db.models import Advice, AdviceSource, Feedback, Workspace
from bot.db.models_practice import HoursEntry
from tests.slack.conftest import CAIO, DANA, GENERAL, QUEUE, SAM, SlackHarness
from tests.standins.slack_api import Call


def _private(slack: SlackHarness) -> list[str]:
    return [c.text for c in slack.api.calls("response_url")] + [
        c.text for c in slack.api.delivered("chat.postEphemeral")
    ]


async def _answer(slack: SlackHarness) -> tuple[Call, str]:
    await slack.command("ask how do we handle OpenAI rate limits?")
    await slack.settle()
    return slack.api.calls("chat.postMessage")[-1], str(slack.api.messages[GENERAL][-1]["ts"])


async def _feedback(slack: SlackHarness) -> Feedback | None:
    async with slack.bot.db.session() as session:
        row = (await session.exec(select(Advice).where(Advice.source == AdviceSource.AI))).one()
        return row.feedback


async def test_only_the_asker_rates_their_answer(slack: SlackHarness) -> None:
    answer, ts = await _answer(slack)

    await slack.click(answer, "Helpful", user=DANA, ts=ts)
    await slack.settle()
    await slack.click(answer, "Not helpful", user=SAM, ts=ts)
    await slack.settle()

    assert await _feedback(slack) == Feedback.HELPFUL
    assert "Only dana, who asked, can rate this answer." in _private(slack)[-1]
    # Everyone sees the click that counted, and only that one.
    (settled,) = slack.api.delivered("chat.update")
    assert "Marked helpful by dana" in settled.text and settled.args["ts"] == ts


async def test_log_30m_counts_once_per_escalation(slack: SlackHarness) -> None:
    await slack.command("escalate can we fine-tune on support tickets?")
    await slack.settle()
    await slack.command("answer 1 Not before the eval set exists.", user=CAIO, channel=QUEUE)
    await slack.settle()
    private = next(c for c in slack.api.calls("response_url") if "relayed and logged" in c.text)
    confirmation = Call("response_url", {**private.args, "channel": QUEUE})

    for _ in range(2):
        await slack.click(confirmation, "Log 30m", user=CAIO)
        await slack.settle()

    async with slack.bot.db.session() as session:
        entries = list(await session.exec(select(HoursEntry)))
    assert [e.minutes for e in entries] == [30]
    assert "Time for #1 is already logged." in _private(slack)[-1]


async def test_a_second_mark_resolved_says_so_instead_of_announcing_again(
    slack: SlackHarness,
) -> None:
    await slack.command("escalate can we fine-tune on support tickets?")
    await slack.settle()
    ticket = next(c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE)
    ts = str(slack.api.messages[QUEUE][0]["ts"])

    for _ in range(2):  # the second on a stale copy of the ticket
        await slack.click(ticket, "Mark resolved", user=CAIO, ts=ts)
        await slack.settle()

    announced = [c for c in slack.api.calls("chat.postMessage") if "marked resolved" in c.text]
    assert len(announced) == 1
    assert "Escalation #1 is already resolved." in _private(slack)[-1]


async def test_a_teammate_is_told_what_the_button_needs_not_a_command_that_does_not_exist(
    slack: SlackHarness,
) -> None:
    await slack.command("escalate can we fine-tune on support tickets?")
    await slack.settle()
    ticket = next(c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == QUEUE)

    await slack.click(ticket, "Mark resolved", user=SAM, ts=str(slack.api.messages[QUEUE][0]["ts"]))
    await slack.settle()

    refusal = _private(slack)[-1]
    assert "can resolve or reopen escalations" in refusal and "/caio resolve" not in refusal


async def test_a_click_in_a_workspace_no_longer_linked_gets_an_answer(
    slack: SlackHarness,
) -> None:
    answer, ts = await _answer(slack)
    async with slack.bot.db.session() as session:
        for row in await session.exec(select(Workspace)):
            await session.delete(row)
        await session.commit()

    await slack.click(answer, "Helpful", user=DANA, ts=ts)
    await slack.settle()

    assert "not linked to a client yet" in _private(slack)[-1]
