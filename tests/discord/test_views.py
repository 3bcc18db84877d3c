"""Buttons are persistent: their custom ids carry the action, so a click on a message posted
before a restart still reaches its handler in a brand-new client."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.wiring import stop
from tests.discord.conftest import (
    GENERAL,
    DiscordHarness,
    discord_settings,
    running,
)
from tests.standins.discord_api import DiscordStandIn


async def test_buttons_work_after_a_restart(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    settings = discord_settings(database_url, discord_api)
    async with running(discord_api, settings, clock) as first:
        await first.slash("ask", question="which vector database should we pick for embeddings?")
        (thread,) = first.threads_of(GENERAL)
        answer = discord_api.in_channel(thread)[-1]

    second = await DiscordHarness.started(discord_api, settings, clock)
    try:
        assert second.adapter.client is not first.adapter.client
        token = await second.click(answer, "Helpful")
        (thanks,) = second.followups(token)
        assert thanks["flags"] & 64 and "marked helpful" in thanks["content"]

        token = await second.click(answer, "Not helpful")
        (offer,) = second.followups(token)
        assert "Want the CAIO to answer it instead?" in offer["content"]
        assert [b["label"] for b in discord_api.buttons(offer)] == ["Escalate"]

        token = await second.slash("advice", mine=True)
        log = second.original(token)
        assert log is not None and "👎 not helpful" in discord_api.visible_text(log)
    finally:
        await stop(second.bot)


async def test_a_button_of_a_retired_action_says_so(dc: DiscordHarness) -> None:
    message = discord_api_message(dc, "caio:poll.vote:3")
    token = await dc.click(message, "Vote")
    (told,) = dc.followups(token)
    assert told["flags"] & 64 and "no longer active" in told["content"]


def discord_api_message(dc: DiscordHarness, custom_id: str) -> dict[str, object]:
    """A bot message with one button, as if posted by an older version of the bot."""
    button = {"type": 2, "style": 2, "label": "Vote", "custom_id": custom_id}
    return dc.api.bot_message(GENERAL, "Vote!", [{"type": 1, "components": [button]}])
