"""What the operator sees when Discord is down: `/healthz` naming Discord and the fix, the
log lines, a `worker` exiting 1 on a gateway Discord will not reopen, and Slack and the
scheduler running on while Discord cannot be reached. Real discord.py, the stand-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from adapters.discord import DiscordAdapter
from bot.adapter import DeliveryError
from bot.clock import ManualClock
from bot.core import Bot
from bot.events import Address
from bot.health import Health
from bot.http import HttpServer
from bot.message import Message
from bot.runtime import SERVE, Component, components_for, running
from bot.wiring import build_bot, start, stop
from config.settings import Settings
from scheduler.engine import Engine
from tests.discord.conftest import GENERAL, GUILD, DiscordHarness, discord_settings
from tests.standins.discord_api import DiscordStandIn
from tests.test_cli import CAIO_BOT, env_for

INTENTS = "enable the Message Content intent"


@asynccontextmanager
async def serving(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[tuple[Bot, Health, list[Component]]]:
    """The parts `caio-bot serve` runs, on a free port, started and stopped as it does."""
    bot = build_bot(settings, clock=clock)
    health = Health()
    parts = components_for(bot, SERVE, 0, health)
    async with running(bot, parts):
        yield bot, health, parts


async def healthz(parts: list[Component]) -> tuple[int, dict[str, Any]]:
    (server,) = [p for p in parts if isinstance(p, HttpServer)]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}/healthz") as response,
    ):
        return response.status, json.loads(await response.text())


async def gateway_ready(bot: Bot, api: DiscordStandIn) -> None:
    """Until discord.py has handled READY and the guilds that follow it (each is synced)."""
    adapter = bot.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter)
    await api.wait_for("PUT", f"/guilds/{GUILD}/commands")
    await DiscordHarness(api, bot, adapter).settle()


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (4014, f"gateway closed: disallowed intents — {INTENTS}"),
        (4004, "gateway closed: authentication failed — DISCORD_TOKEN was refused"),
    ],
)
async def test_serve_reports_a_gateway_closed_for_good_on_healthz(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock, code: int, says: str
) -> None:
    discord_api.close_gateway(code)
    settings = discord_settings(database_url, discord_api)
    with capture_logs() as logs:
        async with serving(settings, clock) as (_, health, parts):
            await asyncio.wait_for(health.wait_failed(), 10)
            status, body = await healthz(parts)

    assert status == 503
    assert body["status"] == "degraded" and body["adapters"] == ["discord"]
    assert body["down"]["discord"].startswith(says)
    (logged,) = [e for e in logs if e["log_level"] == "error"]
    assert logged["reason"].startswith(says)


async def test_serve_is_healthy_once_the_gateway_is_ready(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    settings = discord_settings(database_url, discord_api)
    async with serving(settings, clock) as (bot, _, parts):
        await gateway_ready(bot, discord_api)
        assert await healthz(parts) == (200, {"status": "ok", "adapters": ["discord"]})


async def test_worker_exits_1_when_discord_closes_the_gateway_for_good(
    database_url: str, discord_api: DiscordStandIn, tmp_path: Path
) -> None:
    discord_api.close_gateway(4014)
    env = env_for(
        database_url,
        DISCORD_TOKEN="test-token",
        DISCORD_API_URL=discord_api.api_url,
        DISCORD_GATEWAY_URL=discord_api.gateway_url,
    )
    worker = await asyncio.create_subprocess_exec(
        CAIO_BOT, "worker", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(worker.communicate(), 60)

    assert worker.returncode == 1
    logged = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    (stopping,) = [e for e in logged if e["event"].startswith("stopping: a part failed")]
    assert stopping["level"] == "error"
    assert INTENTS in stopping["failed"]["discord"]
    assert "Traceback" not in stderr.decode()


async def test_slack_and_the_scheduler_run_while_discord_does_not_answer_then_it_connects(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    answer = discord_api.hold("/users/@me")
    settings = discord_settings(database_url, discord_api, slack_signing_secret="s3cret")
    settings = settings.model_copy(update={"slack_bot_token": settings.discord_token})
    async with serving(settings, clock) as (bot, _, parts):
        (engine,) = [p for p in parts if isinstance(p, Engine)]
        assert engine.scheduler is not None and engine.scheduler.running
        assert sorted(bot.adapters) == ["discord", "slack"]
        await discord_api.wait_for("GET", "/users/@me")
        status, body = await healthz(parts)
        # Named, but still 200: Slack is served, so a router must keep this process.
        assert status == 200 and body["status"] == "degraded"
        assert body["down"] == {"discord": "logging in"}

        answer.set()
        await gateway_ready(bot, discord_api)
        assert await healthz(parts) == (200, {"status": "ok", "adapters": ["discord", "slack"]})


async def test_login_is_retried_while_discord_fails_one_warning_each(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    discord_api.refuse("GET", "/users/@me", 503, 0, "Service Unavailable", times=2)
    bot = build_bot(discord_settings(database_url, discord_api), clock=clock)
    health = Health()
    bot.add_adapter(DiscordAdapter(bot, health=health, backoff=0.001))
    with capture_logs() as logs:
        await start(bot)
        try:
            await gateway_ready(bot, discord_api)
        finally:
            await stop(bot)

    retries = [e for e in logs if e["event"] == "discord: could not log in, retrying"]
    assert [(e["log_level"], e["attempt"]) for e in retries] == [("warning", 1), ("warning", 2)]
    assert "DiscordServerError" in retries[0]["error"]
    (logged_in,) = [e for e in logs if e["event"] == "discord logged in"]
    assert logged_in["attempts"] == 3
    assert not [e for e in logs if e["log_level"] == "error"]


async def test_a_refused_token_is_reported_not_retried_and_posts_fail_with_the_reason(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    discord_api.refuse("GET", "/users/@me", 401, 0, "401: Unauthorized")
    settings = discord_settings(database_url, discord_api)
    with capture_logs() as logs:
        async with serving(settings, clock) as (bot, health, parts):
            await asyncio.wait_for(health.wait_failed(), 10)
            status, body = await healthz(parts)
            with pytest.raises(DeliveryError, match="DISCORD_TOKEN"):
                await bot.send(Message("hello", address=Address("discord", GUILD, GENERAL)))

    assert status == 503 and "DISCORD_TOKEN" in body["down"]["discord"]
    assert len(discord_api.calls_to("GET", "/users/@me")) == 1
    (logged,) = [e for e in logs if e["log_level"] == "error"]
    assert "DISCORD_TOKEN" in logged["reason"]
