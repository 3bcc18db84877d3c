"""Plain messages: a mention answers in the thread with its history, the bot ignores itself,
DMs reach the bot as thread replies, and closed DMs raise DeliveryError (error 50007)."""

from __future__ import annotations

import pytest

from bot.adapter import DeliveryError
from bot.clock import ManualClock
from bot.events import Address, ThreadReply
from bot.message import Message
from bot.wiring import stop
from tests.discord.conftest import (
    DEV,
    GENERAL,
    GUILD,
    QUEUE,
    SAM,
    DiscordHarness,
    discord_settings,
    link_acme,
)
from tests.standins.discord_api import BOT_USER, DiscordStandIn


async def test_a_mention_in_a_thread_answers_there_with_the_thread_as_context(
    dc: DiscordHarness,
) -> None:
    await dc.slash("ask", question="how do we evaluate our RAG pipeline?")
    (thread,) = dc.threads_of(GENERAL)
    await dc.say(thread, "we only have 20 labelled questions so far", SAM)
    before = len(dc.api.in_channel(thread))
    await dc.say(thread, "how many golden questions do we need?", mention=True)

    (history,) = dc.api.calls_to("GET", f"/channels/{thread}/messages")
    assert history.query["limit"] == "20" and "before" in history.query
    new = dc.api.in_channel(thread)[before:]
    answer = new[-1]
    assert answer["author"]["id"] == BOT_USER["id"]
    assert [b["label"] for b in dc.api.buttons(answer)][-1] == "Escalate"
    assert dc.threads_of(GENERAL) == [thread], "answered in the same thread, no new one"


async def test_a_mention_in_a_channel_opens_a_thread(dc: DiscordHarness) -> None:
    await dc.say(GENERAL, "which vector database should we pick?", mention=True)
    (thread,) = dc.threads_of(GENERAL)
    asked = dc.api.messages[thread]
    assert asked["content"] == "**dev** asked: which vector database should we pick?"
    assert dc.api.buttons(dc.api.in_channel(thread)[-1])


async def test_the_bot_ignores_its_own_messages_and_plain_channel_chatter(
    dc: DiscordHarness,
) -> None:
    await dc.say(GENERAL, "lunch anyone?")
    await dc.say(GENERAL, f"<@{BOT_USER['id']}> talking to myself", BOT_USER)
    assert dc.api.calls_to("POST", "/channels/") == []


async def test_a_closed_dm_raises_delivery_error(dc: DiscordHarness) -> None:
    dc.api.closed_dms.add(SAM["id"])
    with pytest.raises(DeliveryError, match="Cannot send messages to this user"):
        await dc.adapter.send_direct(GUILD, SAM["id"], Message("Stand-up time!"))
    assert dc.api.calls_to("POST", "/users/@me/channels")


async def test_a_dm_reply_reaches_the_bot_as_a_thread_reply(dc: DiscordHarness) -> None:
    seen: list[ThreadReply] = []

    async def claim(ctx: object, reply: ThreadReply) -> bool:
        seen.append(reply)
        return True

    posted = await dc.adapter.send_direct(GUILD, DEV["id"], Message("What did you do yesterday?"))
    assert posted.address.workspace == GUILD
    assert "What did you do yesterday?" in dc.text(posted.address.channel)
    dc.bot.registry.thread_reply_handlers.insert(0, claim)
    try:
        await dc.say(posted.address.channel, "shipped the eval harness", dm=True)
    finally:
        dc.bot.registry.thread_reply_handlers.remove(claim)
    (reply,) = seen
    assert reply.text == "shipped the eval harness"
    assert reply.address == Address("discord", GUILD, posted.address.channel)
    assert reply.actor.id == DEV["id"]


async def test_a_dm_nobody_was_waiting_for_gets_a_hint_not_silence(dc: DiscordHarness) -> None:
    dm = (await dc.adapter.send_direct(GUILD, DEV["id"], Message("Welcome!"))).address.channel
    await dc.say(dm, "hey, how do I use you?", dm=True)
    hint = dc.api.in_channel(dm)[-1]
    assert hint["author"]["id"] == BOT_USER["id"]
    assert "`/caio ask <question>`" in dc.api.visible_text(hint)


async def test_plain_chatter_in_a_thread_gets_no_hint(dc: DiscordHarness) -> None:
    await dc.slash("ask", question="how do we evaluate our RAG pipeline?")
    (thread,) = dc.threads_of(GENERAL)
    before = len(dc.api.in_channel(thread))
    await dc.say(thread, "nice, thanks!", SAM)
    assert len(dc.api.in_channel(thread)) == before + 1, "only sam's message"


async def test_a_dm_reply_after_a_restart_still_finds_its_guild(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    """With the bot in two clients' guilds a DM says nothing about which one it is for; the
    guild the bot last DMed that person for is in the database, not only in memory."""
    discord_api.add_guild("1200000000000000002", "Globex")
    settings = discord_settings(database_url, discord_api)
    before = await DiscordHarness.started(discord_api, settings, clock)
    await link_acme(before.bot, Address("discord", GUILD, QUEUE))
    prompt = await before.adapter.send_direct(GUILD, DEV["id"], Message("What did you ship?"))
    await stop(before.bot)

    after = await DiscordHarness.started(discord_api, settings, clock)
    try:
        await after.say(prompt.address.channel, "shipped the eval harness", dm=True)
        hint = after.api.in_channel(prompt.address.channel)[-1]
        assert hint["author"]["id"] == BOT_USER["id"], "the reply reached the bot"
        assert "`/caio ask <question>`" in after.api.visible_text(hint)
    finally:
        await stop(after.bot)


async def test_a_dm_the_bot_cannot_place_says_where_to_ask(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    discord_api.add_guild("1200000000000000002", "Globex")
    harness = await DiscordHarness.started(
        discord_api, discord_settings(database_url, discord_api), clock
    )
    try:
        dm = discord_api.open_dm(SAM["id"])
        await harness.say(dm, "how do we evaluate our RAG pipeline?", SAM, dm=True)
        (reply,) = [m for m in harness.api.in_channel(dm) if m["author"]["id"] == BOT_USER["id"]]
        assert "can't tell which one" in reply["content"] and "/caio ask" in reply["content"]
    finally:
        await stop(harness.bot)
