"""The real Bolt app over loopback HTTP, its Web API pointed at the Slack stand-in, and a
harness that sends signed requests shaped like Slack's own (`await slack.command(...)`)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from adapters.slack import slack_components
from bot.clock import ManualClock
from bot.core import Bot
from bot.db.models import Role
from bot.directory import ensure_client, link_workspace, set_role
from bot.events import Actor, Address
from bot.http import make_app
from bot.runtime import WORKER, Component, components_for, running
from bot.wiring import build_bot, start, stop
from config.settings import Settings
from tests.conftest import make_settings
from tests.standins.slack_api import BOT_TOKEN, BOT_USER, TEAM, Call, SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CLIENT = "acme"
GENERAL = "CGENERAL"
QUEUE = "CQUEUE"
DANA, CAIO, SAM = "UDANA", "UCARLA", "USAM"
NAMES = {DANA: "dana", CAIO: "carla", SAM: "sam"}


def signature(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    """Slack's v0 signature: HMAC-SHA256 over `v0:<timestamp>:<body>`."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    text: str
    seconds: float


class SlackHarness:
    """Sends what Slack would send, and waits for the bot's background work."""

    def __init__(self, bot: Bot, api: SlackStandIn, base_url: str) -> None:
        self.bot = bot
        self.api = api
        self.base_url = base_url
        self._ids = itertools.count(1)
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def post(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature(body, ts, secret),
            **(headers or {}),
        }
        began = time.perf_counter()
        async with self.session.post(self.base_url + path, data=body, headers=sent) as resp:
            text = await resp.text()
        return Reply(resp.status, text, time.perf_counter() - began)

    def command_payload(
        self,
        text: str,
        *,
        user: str = DANA,
        channel: str = GENERAL,
        team: str = TEAM,
        enterprise: str | None = None,
    ) -> dict[str, str]:
        """The fields of a `/caio <text>` slash command (form-encoded over HTTP, a JSON
        object in a Socket Mode envelope); `enterprise` makes it come through an org-wide
        install of that Enterprise Grid org."""
        n = next(self._ids)
        org = {"enterprise_id": enterprise, "enterprise_name": "Initech"} if enterprise else {}
        return {
            **org,
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": NAMES.get(user, user.lower()),
            "command": "/caio",
            "text": text,
            "api_app_id": "A0CAIO",
            "is_enterprise_install": "true" if enterprise else "false",
            "response_url": self.api.response_url(f"command-{n}"),
            "trigger_id": f"13345224609.738474920.{n:08d}",
        }

    async def command(
        self,
        text: str,
        *,
        user: str = DANA,
        channel: str = GENERAL,
        team: str = TEAM,
        enterprise: str | None = None,
    ) -> Reply:
        """`/caio <text>` as Slack posts a slash command."""
        form = self.command_payload(
            text, user=user, channel=channel, team=team, enterprise=enterprise
        )
        return await self.post(
            "/slack/events", urlencode(form).encode(), "application/x-www-form-urlencoded"
        )

    async def click(self, posted: Call, label: str, *, user: str = DANA, ts: str = "") -> Reply:
        """A `block_actions` click on the button `label` of a message the bot posted."""
        blocks = posted.args["blocks"]
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        button = next(
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["text"]["text"] == label
        )
        channel = posted.args["channel"]
        message_ts = ts or posted.args.get("ts", "")
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": "BBOT",
            "ts": message_ts,
            "text": posted.args.get("text", ""),
            "blocks": blocks,
        }
        if posted.args.get("thread_ts"):
            message["thread_ts"] = posted.args["thread_ts"]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": NAMES.get(user, user), "team_id": TEAM},
            "api_app_id": "A0CAIO",
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"trigger-{next(self._ids)}",
            "team": {"id": TEAM, "domain": "acme"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "general"},
            "message": message,
            "state": {"values": {}},
            "response_url": self.api.response_url(f"click-{next(self._ids)}"),
            "actions": [
                {
                    **button,
                    "block_id": "b1",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post("/slack/events", body, "application/x-www-form-urlencoded")

    def event_payload(
        self, event: dict[str, Any], *, event_id: str | None = None, team: str = TEAM
    ) -> dict[str, Any]:
        """An Events API `event_callback` envelope around `event`."""
        return {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": team,
            "api_app_id": "A0CAIO",
            "event": {"event_ts": event.get("ts", f"{time.time():.6f}"), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
        team: str = TEAM,
    ) -> Reply:
        """An Events API delivery over HTTP (a retry carries X-Slack-Retry-Num)."""
        envelope = self.event_payload(event, event_id=event_id, team=team)
        headers = {}
        if retry is not None:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(envelope).encode()
        return await self.post("/slack/events", body, "application/json", headers=headers)

    async def settle(self) -> None:
        """Wait for the answers, relays and updates the acks left running."""
        await self.bot.drain()


async def _seed(bot: Bot, clock: ManualClock) -> None:
    """Acme, linked to the Slack workspace, its queue channel, carla as its CAIO."""
    async with bot.db.session() as session:
        await ensure_client(
            session,
            CLIENT,
            name="Acme",
            now=clock.now(),
            queue=Address("slack", TEAM, QUEUE),
        )
        await link_workspace(session, CLIENT, "slack", TEAM)
        await set_role(session, CLIENT, Actor("slack", CAIO, "carla"), Role.CAIO)


@asynccontextmanager
async def running_slack(
    settings: Settings, clock: ManualClock, api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    """Build the bot as `caio-bot web` does, serve it on an ephemeral port, tear down."""
    bot = build_bot(settings, clock=clock)
    http = make_app(bot)
    slack_components(bot, http=http, gateways=False, backoff=0.01)
    await _seed(bot, clock)
    await start(bot)
    runner = web.AppRunner(http)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    harness = SlackHarness(bot, api, f"http://127.0.0.1:{port}")
    try:
        yield harness
    finally:
        await harness.close()
        await bot.drain()
        await runner.cleanup()
        await stop(bot)


@asynccontextmanager
async def running_socket_mode(
    settings: Settings, clock: ManualClock, api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    """Build the bot as `caio-bot worker` does: no HTTP, the Socket Mode connection open."""
    bot = build_bot(settings, clock=clock)
    parts = slack_components(bot, http=None, gateways=True, backoff=0.01)
    await _seed(bot, clock)
    await start(bot)
    for part in parts:
        await part.start()
    harness = SlackHarness(bot, api, "")
    try:
        yield harness
    finally:
        await harness.close()
        await bot.drain()
        for part in parts:
            await part.stop()
        await stop(bot)


@asynccontextmanager
async def running_worker(
    settings: Settings, clock: ManualClock, api: SlackStandIn
) -> AsyncIterator[tuple[SlackHarness, list[Component]]]:
    """The parts `caio-bot worker` runs, started and stopped as it does."""
    bot = build_bot(settings, clock=clock)
    parts = components_for(bot, WORKER, 0)
    await _seed(bot, clock)
    harness = SlackHarness(bot, api, "")
    try:
        async with running(bot, parts):
            yield harness, parts
    finally:
        await harness.close()


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(users=dict(NAMES)) as api:
        yield api


def oauth_settings(database_url: str, slack_api: SlackStandIn) -> Settings:
    """Multi-workspace install: OAuth client id and secret, no bot token."""
    return make_settings(
        database_url,
        slack_client_id="1234.5678",
        slack_client_secret="s3cr3t",
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
    )


@pytest.fixture
def slack_settings(database_url: str, slack_api: SlackStandIn) -> Settings:
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
    )


@pytest.fixture
async def slack(
    slack_settings: Settings, clock: ManualClock, slack_api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    async with running_slack(slack_settings, clock, slack_api) as harness:
        yield harness
