"""One process, both adapters: a team on Discord whose CAIO answers in a Slack queue, and a
team on Slack whose CAIO answers in a Discord queue. Each round trip relays the answer to
the asker's thread on the other platform and logs the advice once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from discord.gateway import DiscordWebSocket
from discord.http import Route
from sqlmodel import select

from adapters.discord import DiscordAdapter
from adapters.slack import slack_components
from bot.clock import ManualClock
from bot.db.models import Advice, AdviceSource, Escalation, EscalationStatus, Role
from bot.directory import ensure_client, link_workspace, set_role
from bot.events import Actor, Address
from bot.http import make_app
from bot.wiring import build_bot, start, stop
from tests.discord.conftest import CAIO_ROLE, DANA, DEV, GUILD, DiscordHarness, discord_settings
from tests.discord.conftest import GENERAL as DISCORD_GENERAL
from tests.discord.conftest import QUEUE as DISCORD_QUEUE
from tests.slack.conftest import CAIO, NAMES, SECRET, SlackHarness
from tests.slack.conftest import GENERAL as SLACK_GENERAL
from tests.slack.conftest import QUEUE as SLACK_QUEUE
from tests.slack.conftest import SAM as SLACK_SAM
from tests.standins.discord_api import DiscordStandIn
from tests.standins.slack_api import BOT_TOKEN, TEAM, SlackStandIn

HQ = "caio-hq"
"""The CAIO's own workspace, where the queues of their clients live."""


@dataclass
class Both:
    discord: DiscordHarness
    slack: SlackHarness

    async def settle(self) -> None:
        await self.discord.settle()


@asynccontextmanager
async def both_platforms(
    database_url: str, clock: ManualClock, *, team_on: str
) -> AsyncIterator[Both]:
    """Client `acme` lives on `team_on`; its queue channel is on the other platform, in the
    CAIO's own workspace (linked to the client `caio-hq`)."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord_api = DiscordStandIn()
    await discord_api.start()
    discord_api.add_guild(GUILD, "Acme", [{"id": CAIO_ROLE, "name": "CAIO", "permissions": "0"}])
    discord_api.add_channel(DISCORD_GENERAL, GUILD, "general")
    discord_api.add_channel(DISCORD_QUEUE, GUILD, "caio-queue")
    async with SlackStandIn(users=dict(NAMES)) as slack_api:
        settings = discord_settings(
            database_url,
            discord_api,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack_api.api_url,
        )
        bot = build_bot(settings, clock=clock)
        http = make_app(bot)
        slack_components(bot, http=http, gateways=False, backoff=0.01)
        adapter = DiscordAdapter(bot)
        bot.add_adapter(adapter)
        on_discord = team_on == "discord"
        team = ("discord", GUILD) if on_discord else ("slack", TEAM)
        hq = ("slack", TEAM) if on_discord else ("discord", GUILD)
        queue = (
            Address("slack", TEAM, SLACK_QUEUE)
            if on_discord
            else Address("discord", GUILD, DISCORD_QUEUE)
        )
        async with bot.db.session() as session:
            await ensure_client(session, "acme", name="Acme", now=clock.now(), queue=queue)
            await ensure_client(session, HQ, name="CAIO HQ", now=clock.now())
            await link_workspace(session, "acme", *team)
            await link_workspace(session, HQ, *hq)
            await set_role(session, HQ, Actor("slack", CAIO, "carla"), Role.CAIO)
        await start(bot)
        await discord_api.wait_for("PUT", f"/guilds/{GUILD}/commands")
        runner = web.AppRunner(http)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        slack = SlackHarness(bot, slack_api, f"http://127.0.0.1:{port}")
        try:
            yield Both(DiscordHarness(discord_api, bot, adapter), slack)
        finally:
            await slack.close()
            await bot.drain()
            await runner.cleanup()
            await stop(bot)
            await discord_api.stop()
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


async def caio_advice(both: Both) -> list[Advice]:
    async with both.discord.bot.db.session() as session:
        rows = await session.exec(select(Advice).where(Advice.source == AdviceSource.CAIO))
        return list(rows)


async def test_asked_on_discord_answered_on_slack(database_url: str, clock: ManualClock) -> None:
    async with both_platforms(database_url, clock, team_on="discord") as both:
        dc, slack = both.discord, both.slack
        await dc.slash("ask", DEV, question="can we send customer emails to OpenAI?")
        (thread,) = dc.threads_of(DISCORD_GENERAL)
        await dc.click(dc.api.in_channel(thread)[-1], "Escalate")

        (ticket,) = slack.api.messages[SLACK_QUEUE]
        queued = next(
            c for c in slack.api.calls("chat.postMessage") if c.args["channel"] == SLACK_QUEUE
        )
        assert "Escalation #1" in queued.text and "Acme" in queued.text
        # The CAIO on Slack can open the asker's Discord thread from the ticket.
        assert f"discord.com/channels/{GUILD}/{thread}" in json.dumps(queued.args)

        await slack.event(
            {
                "type": "message",
                "channel": SLACK_QUEUE,
                "user": CAIO,
                "text": "Yes, once the zero-retention addendum is signed.",
                "ts": "1764000100.000001",
                "thread_ts": ticket["ts"],
                "channel_type": "channel",
            }
        )
        await both.settle()

        relayed = dc.api.in_channel(thread)[-1]
        assert relayed["content"].startswith("**carla** (CAIO) answered escalation #1:")
        assert "zero-retention addendum" in relayed["content"]
        assert [b["label"] for b in dc.api.buttons(relayed)] == ["Helpful", "Not helpful"]
        (reaction,) = slack.api.calls("reactions.add")
        assert reaction.args["timestamp"] == "1764000100.000001"
        (advice,) = await caio_advice(both)
        assert advice.client_id == "acme" and advice.author == "carla"
        assert advice.mentee_name == "dev"


async def test_asked_on_slack_answered_on_discord(database_url: str, clock: ManualClock) -> None:
    async with both_platforms(database_url, clock, team_on="slack") as both:
        dc, slack = both.discord, both.slack
        await slack.command("ask can we send customer emails to OpenAI?", user=SLACK_SAM)
        await both.settle()
        asked_ts = slack.api.messages[SLACK_GENERAL][0]["ts"]
        answer = slack.api.calls("chat.postMessage")[-1]
        await slack.click(
            answer, "Escalate", user=SLACK_SAM, ts=slack.api.messages[SLACK_GENERAL][-1]["ts"]
        )
        await both.settle()

        (ticket,) = dc.api.in_channel(DISCORD_QUEUE)
        assert ticket["embeds"][0]["title"] == "Escalation #1"
        link = f"https://stand-in.slack.com/archives/{SLACK_GENERAL}/p{asked_ts.replace('.', '')}"
        assert link in json.dumps(ticket)
        (queue_thread,) = dc.threads_of(DISCORD_QUEUE)

        reply = await dc.say(
            queue_thread, "Yes, once the zero-retention addendum is signed.", DANA, (CAIO_ROLE,)
        )
        relay = slack.api.calls("chat.postMessage")[-1]
        assert relay.args["channel"] == SLACK_GENERAL and relay.args["thread_ts"] == asked_ts
        assert "*dana* (CAIO) answered escalation #1" in relay.text
        assert "zero-retention addendum" in relay.text
        assert (queue_thread, reply["id"], "✅") in dc.api.reactions
        (advice,) = await caio_advice(both)
        assert advice.client_id == "acme" and advice.author == "dana"
        async with dc.bot.db.session() as session:
            escalation = (await session.exec(select(Escalation))).one()
        assert escalation.status == EscalationStatus.ANSWERED
