"""`caio-bot report --client ID --month YYYY-MM`: the monthly value report as files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import NoReturn

import typer

from bot.cli.database import open_database
from bot.clock import SystemClock
from bot.db.models import Client
from bot.practice.hours import in_calendar, not_started, valid_month
from bot.practice.report import build_report, render_files
from config.settings import get_settings


def report(
    client: str = typer.Option(..., "--client", help="the client's id"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    out: Path = typer.Option(Path("."), "--out", help="directory for the .md and .png"),
) -> None:
    """Write the client's monthly value report (Markdown) and its chart (PNG)."""
    problem = _month_problem(month) or _out_problem(out)
    if problem:
        _fail(problem)
    files = asyncio.run(_build(client, month))
    if isinstance(files, str):
        _fail(files)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in files:
            (out / name).write_bytes(content)
            typer.echo(str(out / name))
    except OSError as exc:
        _fail(f"cannot write the report to {out}: {exc.strerror or exc}")


def _month_problem(month: str) -> str | None:
    """Checked before the database is opened; a month the calendar cannot hold (9999-12
    ends in year 10000) is refused here, not deep in the report."""
    if not valid_month(month):
        return "--month should look like 2026-11"
    if not in_calendar(month):
        return f"--month {month} is outside the calendar"
    return None


def _out_problem(out: Path) -> str | None:
    if out.exists() and not out.is_dir():
        return f"--out {out} is not a directory"
    return None


def _fail(problem: str) -> NoReturn:
    typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(1)


async def _build(client_id: str, month: str) -> list[tuple[str, bytes]] | str:
    """The report's files, or why there is none (the month is the client's, in its zone)."""
    now = SystemClock().now()
    async with open_database(get_settings().database_url) as db, db.session() as session:
        client = await session.get(Client, client_id)
        if client is None:
            return f"no client {client_id!r}; see `caio-bot clients list`"
        refusal = not_started(month, now, client.timezone)
        if refusal:
            return refusal
        built = await build_report(session, client, month, now)
    return list(render_files(built))
