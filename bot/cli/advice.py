"""`caio-bot advice export|import`: the advice log as files."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

import typer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.advice_io import ImportError_, ImportLine, export, only_new, parse_jsonl, to_advice
from bot.cli.database import open_database
from bot.cli.files import read_import
from bot.clock import SystemClock
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
    text = asyncio.run(_export(fmt.value, client))
    if text is None:
        typer.echo(f"error: no client {client!r}; see `caio-bot clients list`", err=True)
        raise typer.Exit(1)
    sys.stdout.write(text)


async def _export(fmt: str, client: str | None) -> str | None:
    """The export, or None when `client` names no client (an empty export would hide it)."""
    async with open_database(get_settings().database_url) as db, db.session() as session:
        query = select(Advice).order_by(col(Advice.created_at), col(Advice.id))
        if client:
            if await session.get(Client, client) is None:
                return None
            query = query.where(Advice.client_id == client)
        return export(await session.exec(query), fmt)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a .jsonl file"),
    client: str | None = typer.Option(
        None, "--client", help="the client of every line (a line naming another is refused)"
    ),
) -> None:
    """Bring an existing FAQ, advice history or `advice export` in; entries already present
    are skipped. Without --client, each line's own `client` (or `demo`)."""
    try:
        lines = parse_jsonl(read_import(file).splitlines(), only_client=client)
    except ImportError_ as exc:
        typer.echo(f"{file}: {exc}; nothing imported", err=True)
        raise typer.Exit(1) from None
    added, skipped = asyncio.run(_import(lines, client or "demo"))
    already = f"; skipped {skipped} already present" if skipped else ""
    typer.echo(f"imported {added} advice entries{already}")


async def _import(lines: list[ImportLine], client_id: str) -> tuple[int, int]:
    """(entries added, entries skipped as already present)."""
    now = SystemClock().now()
    async with open_database(get_settings().database_url) as db, db.session() as session:
        wanted = {line.client or client_id for line in lines}
        known = set(await session.exec(select(Client.id).where(col(Client.id).in_(wanted))))
        missing = wanted - known
        if missing:
            typer.echo(
                f"unknown client(s): {', '.join(sorted(missing))}; nothing imported", err=True
            )
            raise typer.Exit(1)
        entries = [to_advice(line, client_id, now) for line in lines]
        fresh = only_new(entries, await _present(session, entries))
        session.add_all(fresh)
        await session.commit()
    return len(fresh), len(entries) - len(fresh)


async def _present(session: AsyncSession, entries: list[Advice]) -> Sequence[Advice]:
    """Stored advice the entries could repeat: same clients, within their span of time."""
    if not entries:
        return []
    times = [e.created_at for e in entries]
    query = select(Advice).where(
        col(Advice.client_id).in_({e.client_id for e in entries}),
        col(Advice.created_at).between(min(times), max(times)),
    )
    return (await session.exec(query)).all()
