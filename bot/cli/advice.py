"""`caio-bot advice export|import`: the advice log as files."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path

import typer
from sqlmodel import col, select

from bot.advice_io import ImportError_, ImportLine, export, parse_jsonl, to_advice
from bot.cli.files import read_import
from bot.clock import SystemClock
from bot.db.engine import Database
from bot.db.models import Advice, Client
from config.settings import get_settings

app = typer.Typer(help="The advice log.", no_args_is_help=True)


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    md = "md"


@app.command("export")
def export_cmd(
    fmt: Format = typer.Option(Format.jsonl, "--format", help="jsonl, csv or md"),
    client: str | None = typer.Option(None, "--client", help="only this client's advice"),
) -> None:
    """Write every advice entry to stdout, oldest first."""
    sys.stdout.write(asyncio.run(_export(fmt.value, client)))


async def _export(fmt: str, client: str | None) -> str:
    db = Database(get_settings().database_url)
    try:
        async with db.session() as session:
            query = select(Advice).order_by(col(Advice.created_at), col(Advice.id))
            if client:
                query = query.where(Advice.client_id == client)
            return export(await session.exec(query), fmt)
    finally:
        await db.close()


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a .jsonl file"),
    client: str = typer.Option("demo", "--client", help="client for lines without one"),
) -> None:
    """Bring an existing FAQ or advice history in (question, answer, author, tags, created_at)."""
    try:
        lines = parse_jsonl(read_import(file).splitlines())
    except ImportError_ as exc:
        typer.echo(f"{file}: {exc}; nothing imported", err=True)
        raise typer.Exit(1) from None
    count = asyncio.run(_import(lines, client))
    typer.echo(f"imported {count} advice entries")


async def _import(lines: list[ImportLine], client_id: str) -> int:
    db = Database(get_settings().database_url)
    now = SystemClock().now()
    try:
        async with db.session() as session:
            wanted = {line.client or client_id for line in lines}
            known = set(await session.exec(select(Client.id).where(col(Client.id).in_(wanted))))
            missing = wanted - known
            if missing:
                typer.echo(
                    f"unknown client(s): {', '.join(sorted(missing))}; nothing imported", err=True
                )
                raise typer.Exit(1)
            session.add_all(to_advice(line, client_id, now) for line in lines)
            await session.commit()
        return len(lines)
    finally:
        await db.close()
