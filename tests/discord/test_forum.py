"""A forum channel as the client's queue: each escalation is a forum post (its thread is the
queue thread), the CAIO's reply there is relayed, and Mark resolved edits the post in place."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.events import Address
from bot.wiring import stop
from tests.discord.conftest import (
    CAIO_ROLE,
    DANA,
    GENERAL,
    GUILD,
    SAM,
    DiscordHarness,
    discord_settings,
    link_acme,
)
from tests.standins.discord_api import APP_ID, FORUM, DiscordStandIn

QUEUE_FORUM = "1200000000000000030"


async def harness(
    database_url: str, api: DiscordStandIn, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    dc = await DiscordHarness.started(api, discord_settings(database_url, api), clock)
    await link_acme(dc.bot, Address("discord", GUILD, QUEUE_FORUM))
    yield dc
    await stop(dc.bot)


@pytest.fixture
async def cached(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    """The forum was in the guild when the gateway connected (GUILD_CREATE lists it)."""
    discord_api.add_channel(QUEUE_FORUM, GUILD, "caio-queue", kind=FORUM)
    async for dc in harness(database_url, discord_api, clock):
        yield dc


@pytest.fixture
async def uncached(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    """The forum was made after the gateway connected, so only the REST API knows it."""
    async for dc in harness(database_url, discord_api, clock):
        discord_api.add_channel(QUEUE_FORUM, GUILD, "caio-queue", kind=FORUM)
        yield dc


async def escalate(dc: DiscordHarness) -> tuple[str, str]:
    """Ask, click Escalate under the answer; returns (asker's thread, forum post)."""
    await dc.slash("ask", question="can we send customer emails to OpenAI under our DPA?")
    (thread,) = dc.threads_of(GENERAL)
    await dc.click(dc.api.in_channel(thread)[-1], "Escalate")
    (post,) = dc.threads_of(QUEUE_FORUM)
    return thread, post


async def test_an_escalation_becomes_a_forum_post_and_the_reply_is_relayed(
    cached: DiscordHarness,
) -> None:
    dc = cached
    thread, post = await escalate(dc)
    (created,) = dc.api.calls_to("POST", f"/channels/{QUEUE_FORUM}/threads")
    assert created.body["name"].startswith("Escalation #1 can we send customer emails")
    (ticket,) = dc.api.in_channel(post)
    assert ticket["id"] == post, "the post's starter message is the ticket"
    assert ticket["embeds"][0]["title"] == "Escalation #1"
    assert [b["label"] for b in dc.api.buttons(ticket)] == ["Mark resolved"]
    assert not dc.api.calls_to("POST", f"/channels/{QUEUE_FORUM}/messages")
    assert not dc.api.calls_to("GET", f"/channels/{QUEUE_FORUM}"), "known from GUILD_CREATE"
    assert "Escalated to the CAIO as #1" in dc.text(thread)

    await dc.say(post, "legal should look at this", SAM)
    reply = await dc.say(post, "Yes, with the zero-retention addendum.", DANA, (CAIO_ROLE,))
    relayed = dc.api.in_channel(thread)[-1]
    assert relayed["content"].startswith("**dana** (CAIO) answered escalation #1:")
    assert "legal should look" not in dc.text(thread)
    assert (post, reply["id"], "✅") in dc.api.reactions


async def test_a_forum_the_gateway_never_listed_is_looked_up_once(
    uncached: DiscordHarness,
) -> None:
    dc = uncached
    _, first = await escalate(dc)
    await dc.slash("escalate", question="which embedding model for German support tickets?")
    posts = dc.threads_of(QUEUE_FORUM)
    assert len(posts) == 2 and first in posts
    assert len(dc.api.calls_to("GET", f"/channels/{QUEUE_FORUM}")) == 1


async def test_mark_resolved_edits_the_forum_post_in_place(cached: DiscordHarness) -> None:
    dc = cached
    _, post = await escalate(dc)
    token = await dc.click(dc.api.in_channel(post)[0], "Mark resolved", DANA, (CAIO_ROLE,))
    assert dc.api.interactions[token].response_type == 6
    ticket = dc.api.messages[post]
    assert dc.api.calls_to("PATCH", f"/webhooks/{APP_ID}/{token}/messages/@original")
    assert "Resolved." in ticket["content"]
    assert [b["label"] for b in dc.api.buttons(ticket)] == ["Reopen"]
    assert ticket["embeds"][0]["title"] == "Escalation #1", "still the same ticket"
    assert "Escalation #1 marked resolved by dana." in dc.text(post)

    await dc.click(ticket, "Reopen", DANA, (CAIO_ROLE,))
    ticket = dc.api.messages[post]
    assert [b["label"] for b in dc.api.buttons(ticket)] == ["Mark resolved"]
    assert "Reply in this thread" in ticket["content"]
    assert not dc.api.calls_to("PATCH", f"/channels/{post}/messages/")
