"""Assembling a long-running process from its parts: `serve`, `web` and `worker`.

`web` serves HTTP only (Slack HTTP mode, health, metrics) and may run many times behind a
router; `worker` holds gateway and socket connections and the scheduler; `serve` is both
in one process for a single machine. Components start in order and stop in reverse, after
in-flight answers have drained (SIGTERM on a PaaS restart). Parts report their health
(`bot.health.Health`): `/healthz` shows it, and a `worker`, which has no `/healthz`, exits 1 when
a part has failed for good.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import structlog

from bot.core import Bot
from bot.health import Health
from bot.http import HttpServer, make_app
from bot.wiring import build_bot, start, stop
from config.settings import Settings

log = structlog.get_logger(__name__)


class Component(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class ProcessKind:
    http: bool
    gateways: bool
    scheduler: bool


SERVE = ProcessKind(http=True, gateways=True, scheduler=True)
WEB = ProcessKind(http=True, gateways=False, scheduler=False)
WORKER = ProcessKind(http=False, gateways=True, scheduler=True)


def components_for(
    bot: Bot, kind: ProcessKind, port: int, health: Health | None = None
) -> list[Component]:
    """The parts this process runs, given what the environment enables; those that hold
    connections report to `health`."""
    health = health or Health()
    parts: list[Component] = []
    http = make_app(bot, health) if kind.http else None
    if http is not None:
        parts.append(HttpServer(http, port))
    if bot.settings.discord_token is not None:
        from adapters.discord import DiscordAdapter

        # Without the gateway (a `web` process) it still posts relays to Discord over REST.
        bot.add_adapter(DiscordAdapter(bot, gateway=kind.gateways, health=health))
    from adapters.slack import slack_components

    # HTTP mode adds /slack/events (and the OAuth paths) to `http`; Socket Mode is a part.
    parts.extend(slack_components(bot, http=http, gateways=kind.gateways, health=health))
    if kind.scheduler:
        from scheduler.engine import Engine

        parts.append(Engine(bot))  # last: it starts after the adapters it posts through
    return parts


@asynccontextmanager
async def running(bot: Bot, parts: list[Component]) -> AsyncIterator[None]:
    """The parts started in order, stopped in reverse after in-flight answers drained:
    what `run` does around waiting for a signal, and what tests drive."""
    await start(bot)
    for part in parts:
        await part.start()
    try:
        yield
    finally:
        for part in reversed(parts):
            await part.stop()
        await stop(bot)


async def run(settings: Settings, kind: ProcessKind, port: int) -> None:
    """Run until SIGTERM or SIGINT; a process without HTTP also stops, with exit status 1,
    when a part has failed for good, as nothing else would tell the operator."""
    bot = build_bot(settings)
    health = Health()
    parts = components_for(bot, kind, port, health)
    async with running(bot, parts):
        # Startup's objects live as long as the process: keep them out of full garbage
        # collections, which otherwise stall the loop for 100-600 ms (Slack acks in
        # docs/slack.md, a busy minute's fires in docs/schedules.md).
        gc.freeze()
        log.info(
            "running",
            adapters=sorted(bot.adapters),
            slack=settings.slack_setup(http=kind.http, gateways=kind.gateways).mode,
            port=port if kind.http else None,
        )
        failed = await until_stopped(health, watch=not kind.http)
        log.info("stopping: draining in-flight work")
    if failed:
        raise SystemExit(1)


async def until_stopped(health: Health, *, watch: bool) -> dict[str, str]:
    """Wait for a signal, or (when `watch`) for a part to fail for good; returns the
    failed parts and why, logged as the reason to stop."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    waits: list[asyncio.Future[object]] = [asyncio.ensure_future(stopping.wait())]
    if watch:
        waits.append(asyncio.ensure_future(health.wait_failed()))
    _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiting in pending:
        waiting.cancel()
    failed = health.failed() if watch else {}
    if failed:
        log.error("stopping: a part failed and needs the operator", failed=failed)
    return failed
