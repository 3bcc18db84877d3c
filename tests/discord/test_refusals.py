"""Discord's permanent refusals reach the core as DeliveryError, with a phrase a user can act
on; other errors stay discord.py's own."""

from __future__ import annotations

import discord
import pytest

from bot.adapter import DeliveryError
from bot.events import Address
from bot.message import Message
from tests.discord.conftest import GENERAL, GUILD, QUEUE, SAM, DiscordHarness

HERE = Address("discord", GUILD, GENERAL)

REFUSALS = [
    (403, 50001, "Missing Access", "the bot can't see that channel (Missing Access)"),
    (403, 50013, "Missing Permissions", "the bot lacks a permission there (Missing Permissions)"),
    (404, 10003, "Unknown Channel", "that channel or thread no longer exists"),
    (400, 50083, "Thread is archived", "that thread is archived"),
    (403, 160005, "Thread is locked", "that thread is locked (Thread is locked)"),
]


@pytest.mark.parametrize(("status", "code", "why", "phrase"), REFUSALS)
async def test_a_refused_post_raises_delivery_error(
    dc: DiscordHarness, status: int, code: int, why: str, phrase: str
) -> None:
    dc.api.refuse("POST", f"/channels/{GENERAL}/messages", status, code, why)
    with pytest.raises(DeliveryError) as refused:
        await dc.adapter.send(Message("The answer.", address=HERE))
    assert str(refused.value) == phrase
    assert dc.api.in_channel(GENERAL) == []


async def test_a_deleted_channel_is_named_as_gone(dc: DiscordHarness) -> None:
    del dc.api.channels[QUEUE]
    with pytest.raises(DeliveryError, match=r"^that channel or thread no longer exists$"):
        await dc.adapter.send(Message("Escalation #1", address=Address("discord", GUILD, QUEUE)))


async def test_a_refused_thread_raises_delivery_error(dc: DiscordHarness) -> None:
    root = await dc.adapter.send(Message("**dev** asked: …", address=HERE))
    dc.api.refuse("POST", "/threads", 403, 50013, "Missing Permissions")
    with pytest.raises(DeliveryError, match=r"lacks a permission there \(Missing Permissions\)"):
        await dc.adapter.open_thread(root, "a question")


async def test_an_edit_of_a_deleted_message_raises_delivery_error(dc: DiscordHarness) -> None:
    posted = await dc.adapter.send(Message("Thinking…", address=HERE))
    del dc.api.messages[posted.message_id]
    with pytest.raises(DeliveryError, match=r"^that message no longer exists$"):
        await dc.adapter.update(posted, Message("The answer."))


async def test_an_edit_in_an_archived_thread_raises_delivery_error(dc: DiscordHarness) -> None:
    posted = await dc.adapter.send(Message("Thinking…", address=HERE))
    dc.api.refuse("PATCH", f"/messages/{posted.message_id}", 400, 50083, "Thread is archived")
    with pytest.raises(DeliveryError, match=r"^that thread is archived$"):
        await dc.adapter.update(posted, Message("The answer."))


async def test_a_dm_to_someone_discord_does_not_know_raises_delivery_error(
    dc: DiscordHarness,
) -> None:
    dc.api.refuse("POST", "/users/@me/channels", 404, 10013, "Unknown User")
    with pytest.raises(DeliveryError, match=r"^Discord does not know that person$"):
        await dc.adapter.send_direct(GUILD, SAM["id"], Message("Stand-up time!"))


async def test_a_refused_dm_post_raises_delivery_error(dc: DiscordHarness) -> None:
    dc.api.refuse("POST", "/messages", 403, 50001, "Missing Access")
    with pytest.raises(DeliveryError, match=r"^the bot can't see that channel \(Missing Access\)$"):
        await dc.adapter.send_direct(GUILD, SAM["id"], Message("Stand-up time!"))


async def test_a_request_discord_finds_malformed_is_not_a_delivery_error(
    dc: DiscordHarness,
) -> None:
    """A 400 says the bot sent something wrong: a bug to log, not a refusal to explain."""
    dc.api.refuse("POST", f"/channels/{GENERAL}/messages", 400, 50035, "Invalid Form Body")
    with pytest.raises(discord.HTTPException) as failed:
        await dc.adapter.send(Message("The answer.", address=HERE))
    assert not isinstance(failed.value, DeliveryError)


async def test_a_short_503_outage_costs_no_post_and_a_long_one_is_an_error(
    dc: DiscordHarness,
) -> None:
    """discord.py does not try 503 again itself; a post, a thread and an edit do."""
    dc.api.refuse("POST", f"/channels/{GENERAL}/messages", 503, 0, "Service Unavailable", times=2)
    posted = await dc.adapter.send(Message("The answer.", address=HERE))
    assert [m["content"] for m in dc.api.in_channel(GENERAL)] == ["The answer."]

    dc.api.refuse("POST", "/threads", 503, 0, "Service Unavailable", times=1)
    assert (await dc.adapter.open_thread(posted, "a question")).thread is not None
    dc.api.refuse("PATCH", f"/messages/{posted.message_id}", 503, 0, "Unavailable", times=3)
    await dc.adapter.update(posted, Message("The answer, edited."))
    assert dc.api.messages[posted.message_id]["content"] == "The answer, edited."

    dc.api.refuse("POST", f"/channels/{GENERAL}/messages", 503, 0, "Service Unavailable")
    with pytest.raises(discord.DiscordServerError):
        await dc.adapter.send(Message("Not now.", address=HERE))
