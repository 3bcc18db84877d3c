"""`caio-bot serve|web|worker`: the long-running processes (see `bot.runtime`)."""

from __future__ import annotations

import asyncio

import typer

from bot.logging import configure_logging
from bot.runtime import SERVE, WEB, WORKER, ProcessKind, run
from config.settings import get_settings

PORT = typer.Option(None, help="web port (default: PORT or 3000)")


def _run(kind: ProcessKind, port: int | None) -> None:
    settings = get_settings()
    listen = settings.port if port is None else port
    # Port 0 would bind an ephemeral port nobody is told of: refuse it, from either source.
    if kind.http and not 1 <= listen <= 65535:
        source = "PORT" if port is None else "--port"
        typer.echo(f"error: {source} {listen} is not a port to listen on: use 1-65535", err=True)
        raise typer.Exit(1)
    configure_logging(settings.log_level)
    asyncio.run(run(settings, kind, listen))


def serve(port: int | None = PORT) -> None:
    """Every adapter the environment enables, the scheduler, /healthz and /metrics."""
    _run(SERVE, port)


def web(port: int | None = PORT) -> None:
    """Only the HTTP endpoints: Slack events, OAuth, health, metrics (Procfile `web`)."""
    _run(WEB, port)


def worker() -> None:
    """Gateway and socket connections and the scheduler, no HTTP (Procfile `worker`)."""
    _run(WORKER, None)
