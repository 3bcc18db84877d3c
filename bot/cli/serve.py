"""`caio-bot serve|web|worker`: the long-running processes (see `bot.runtime`)."""

from __future__ import annotations

import asyncio

import typer

from bot.logging import configure_logging
from bot.runtime import SERVE, WEB, WORKER, ProcessKind, run
from config.settings import get_settings


def _run(kind: ProcessKind, port: int | None) -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    asyncio.run(run(settings, kind, port or settings.port))


def serve(port: int | None = typer.Option(None, help="web port (default: PORT or 3000)")) -> None:
    """Every adapter the environment enables, the scheduler, /healthz and /metrics."""
    _run(SERVE, port)


def web(port: int | None = typer.Option(None, help="web port (default: PORT or 3000)")) -> None:
    """Only the HTTP endpoints: Slack events, OAuth, health, metrics (Procfile `web`)."""
    _run(WEB, port)


def worker() -> None:
    """Gateway and socket connections and the scheduler, no HTTP (Procfile `worker`)."""
    _run(WORKER, None)
