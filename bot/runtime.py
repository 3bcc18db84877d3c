"""Assembling a long-running process from its parts: `serve`, `web` and `worker`.

`web` serves HTTP only (Slack HTTP mode, health, metrics) and may run many times behind a
router; `worker` holds gateway and socket connections and the scheduler; `serve` is both
in one process for a single machine. Components start in order and stop in reverse, after
in-flight answers have drained (SIGTERM on a PaaS restart).
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


def components_for(bot: Bot, kind: ProcessKind, port: int) -> list[Component]:
    """The parts this process runs, given what the environment enables."""
    parts: list[Component] = []
    http = make_app(bot) if kind.http else None
    if http is not None:
        parts.append(HttpServer(http, port))
    if bot.settings.discord_token is not None:
        from adapters.discord import DiscordAdapter

        # Without the gateway (a `web` process) it still posts relays to Discord over REST.
        bot.add_adapter(DiscordAdapter(bot, gateway=kind.gateways))
    from adapters.slack import slack_components

    # HTTP mode adds /slack/events (and the OAuth paths) to `http`; Socket Mode is a part.
    parts.extend(slack_components(bot, http=http, gateways=kind.gateways))
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
    bot = build_bot(settings)
    parts = components_for(bot, kind, port)
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
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        log.info("stopping: draining in-flight work")
