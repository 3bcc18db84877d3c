"""Buttons in DMs: a click there names no guild, so the button's custom id names the guild the
DM was sent for; one the bot cannot place gets a private hint, never silence."""

from __future__ import annotations

from typing import Any

from bot.clock import ManualClock
from bot.events import Address
from bot.message import Message
from bot.wiring import stop
from tests.discord.conftest import (
    CAIO_ROLE,
    DANA,
    GUILD,
    QUEUE,
    DiscordHarness,
    discord_settings,
    link_acme,
)
from tests.standins.discord_api import EPHEMERAL, DiscordStandIn

GLOBEX = "1200000000000000002"


async def caio_answers_by_reply(dc: DiscordHarness) -> dict[str, Any]:
    """The CAIO answers an escalation in its queue thread; returns the DM confirming it."""
    await dc.slash("escalate", question="can we fine-tune on customer tickets?")
    (queue_thread,) = dc.threads_of(QUEUE)
    await dc.say(queue_thread, "Yes, on anonymised tickets.", DANA, (CAIO_ROLE,))
    (dm,) = [c["id"] for c in dc.api.channels.values() if c["type"] == 1]
    (confirmation,) = dc.api.in_channel(dm)
    return confirmation


async def test_log_30m_in_a_dm_logs_the_time(dc: DiscordHarness) -> None:
    confirmation = await caio_answers_by_reply(dc)
    (button,) = dc.api.buttons(confirmation)
    assert button["custom_id"] == f"caio:hours.log_escalation:1:{GUILD}"

    token = await dc.click(confirmation, "Log 30m", DANA, dm=True)
    (logged,) = dc.followups(token)
    assert logged["flags"] & EPHEMERAL
    assert "Logged 30 m for Acme: answered escalation #1" in logged["content"]


async def test_a_dm_button_acts_for_its_own_guild_after_a_restart(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    """The DM channel was used for Globex since; the button still says it is Acme's."""
    discord_api.add_guild(GLOBEX, "Globex")
    settings = discord_settings(database_url, discord_api)
    before = await DiscordHarness.started(discord_api, settings, clock)
    await link_acme(before.bot, Address("discord", GUILD, QUEUE))
    confirmation = await caio_answers_by_reply(before)
    await stop(before.bot)

    after = await DiscordHarness.started(discord_api, settings, clock)
    try:
        await after.adapter.send_direct(GLOBEX, DANA["id"], Message("Globex stand-up"))
        token = await after.click(confirmation, "Log 30m", DANA, dm=True)
    finally:
        await stop(after.bot)
    (logged,) = after.followups(token)
    assert "Logged 30 m for Acme: answered escalation #1" in logged["content"]


async def test_a_dm_click_the_bot_cannot_place_gets_a_private_hint(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    """A button from before guilds were named in DMs, in a DM the bot has no record of,
    while it is in two guilds."""
    discord_api.add_guild(GLOBEX, "Globex")
    dm = discord_api.open_dm(DANA["id"])
    button = {"type": 2, "style": 2, "label": "Log 30m", "custom_id": "caio:hours.log_escalation:1"}
    old = discord_api.bot_message(dm, "Relayed.", [{"type": 1, "components": [button]}])
    harness = await DiscordHarness.started(
        discord_api, discord_settings(database_url, discord_api), clock
    )
    try:
        token = await harness.click(old, "Log 30m", DANA, dm=True)
    finally:
        await stop(harness.bot)
    (callback,) = discord_api.calls_to("POST", f"/{token}/callback")
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & EPHEMERAL
    assert "can't tell which team" in callback.body["data"]["content"]
