"""Slack's permanent refusals reach the core as DeliveryError with a phrase a user can act
on (the core keeps escalations open and says so); rate limits are still waited out."""

from __future__ import annotations

from typing import TypedDict

import pytest

from adapters.slack import SlackAdapter
from bot.adapter import DeliveryError
from bot.events import Address
from bot.message import Message, Posted
from tests.slack.conftest import DANA, GENERAL, SlackHarness
from tests.standins.slack_api import TEAM

HERE = Address("slack", TEAM, GENERAL)


class ErrorFields(TypedDict, total=False):
    """What Slack adds to some error answers."""

    needed: str


def _adapter(slack: SlackHarness) -> SlackAdapter:
    adapter = slack.bot.adapters["slack"]
    assert isinstance(adapter, SlackAdapter)
    return adapter


@pytest.mark.parametrize(
    ("error", "extra", "phrase"),
    [
        ("not_in_channel", {}, "I'm not in that channel: invite me with `/invite @caio-bot`"),
        ("channel_not_found", {}, "that channel no longer exists"),
        ("is_archived", {}, "that channel is archived"),
        ("restricted_action", {}, "that channel does not let the bot post"),
        ("thread_not_found", {}, "that thread no longer exists"),
        (
            "missing_scope",
            {"needed": "chat:write.public"},
            "the app lacks the `chat:write.public` scope; reinstall it",
        ),
    ],
)
async def test_send_raises_a_phrase_for_a_refused_post(
    slack: SlackHarness, error: str, extra: ErrorFields, phrase: str
) -> None:
    await slack.settle()  # the bot's own name, learnt after start
    slack.api.fail_next("chat.postMessage", 200, error=error, **extra)
    with pytest.raises(DeliveryError) as refused:
        await _adapter(slack).send(Message("Escalation #1", address=HERE))
    assert str(refused.value) == phrase
    assert len(slack.api.calls("chat.postMessage")) == 1  # refused once, not retried


async def test_update_raises_when_the_message_is_gone(slack: SlackHarness) -> None:
    posted = await _adapter(slack).send(Message("Thinking…", address=HERE))
    slack.api.fail_next("chat.update", 200, error="message_not_found")
    with pytest.raises(DeliveryError, match=r"^that message no longer exists$"):
        await _adapter(slack).update(posted, Message("done", address=HERE, notes=("final",)))


async def test_send_direct_raises_for_someone_who_cannot_be_reached(slack: SlackHarness) -> None:
    slack.api.fail_next("conversations.open", 200, error="cannot_dm_bot")
    with pytest.raises(DeliveryError, match=r"^that is a bot, which cannot get direct messages$"):
        await _adapter(slack).send_direct(TEAM, "UOTHERBOT", Message("hi"))
    slack.api.fail_next("chat.postMessage", 200, error="user_not_found")
    with pytest.raises(DeliveryError, match=r"^that person is not in this workspace$"):
        await _adapter(slack).send_direct(TEAM, DANA, Message("hi"))


async def test_open_thread_makes_no_call_slack_could_refuse(slack: SlackHarness) -> None:
    root = Posted(HERE, "1764000000.000001")
    assert await _adapter(slack).open_thread(root, "Escalation #1") == HERE.in_thread(
        root.message_id
    )


async def test_rate_limits_and_unknown_errors_are_not_refusals(slack: SlackHarness) -> None:
    slack.api.fail_next("chat.postMessage", 429, retry_after=0, error="ratelimited")
    posted = await _adapter(slack).send(Message("hi", address=HERE))
    assert posted.message_id and len(slack.api.calls("chat.postMessage")) == 2

    slack.api.fail_next("chat.postMessage", 200, error="fatal_error")
    with pytest.raises(Exception) as failed:
        await _adapter(slack).send(Message("hi", address=HERE))
    assert not isinstance(failed.value, DeliveryError)
