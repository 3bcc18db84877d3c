"""`caio-bot clients add|list|show|set|import`: the CAIO's clients, their workspaces,
queue, hours, retainer and team profile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.database import open_database
from bot.cli.files import read_import
from bot.clock import SystemClock
from bot.db.models import Client, Member, Role
from bot.practice.clients import (
    PLATFORMS,
    ClientError,
    ClientSpec,
    MemberSpec,
    apply_setting,
    check_queue,
    describe,
    link,
    load_toml,
    queue_label,
    save_spec,
    upsert_member,
    workspaces_of,
)
from bot.practice.hours import format_hours, month_hours, month_of
from config.settings import get_settings

app = typer.Typer(help="The CAIO's clients.", no_args_is_help=True)
console = Console(width=120)
T = TypeVar("T")

SLACK = typer.Option(
    [],
    "--slack",
    help="Slack team id (T…), or an org-wide install's enterprise id (E…); repeatable",
)
DISCORD = typer.Option([], "--discord", help="Discord guild id (repeatable)")
CONSOLE = typer.Option([], "--console", help="console workspace name (repeatable)")
CAIO = typer.Option([], "--caio", help="PLATFORM:USER_ID[:NAME] who is the CAIO here (repeatable)")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one session; a person's mistake exits 1 with the reason, no traceback."""

    async def go() -> T:
        async with open_database(get_settings().database_url) as db, db.session() as session:
            return await work(session)

    try:
        return asyncio.run(go())
    except ClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _caio_specs(values: list[str]) -> list[MemberSpec]:
    specs = []
    for value in values:
        platform, _, rest = value.partition(":")
        user_id, _, name = rest.partition(":")
        if platform not in PLATFORMS or not user_id:
            raise ClientError(f"--caio {value!r} should be PLATFORM:USER_ID[:NAME]")
        specs.append(
            MemberSpec(platform=platform, user_id=user_id, name=name or user_id, role=Role.CAIO)
        )
    return specs


def _errors(exc: ValidationError) -> str:
    """Pydantic's errors as one line; a whole-spec error (a region) has no field to name."""
    return "; ".join(
        ".".join(str(p) for p in e["loc"])
        + ": " * bool(e["loc"])
        + str(e["msg"]).removeprefix("Value error, ")
        for e in exc.errors()
    )


@app.command("add")
def add(
    client_id: str = typer.Argument(..., metavar="ID", help="short id, e.g. acme"),
    name: str = typer.Argument(..., help="the company's name"),
    slack: list[str] = SLACK,
    discord: list[str] = DISCORD,
    console_ws: list[str] = CONSOLE,
    queue: str | None = typer.Option(None, help="escalation queue: platform:workspace:channel"),
    office_hours: str = typer.Option("mon-fri 09:00-17:00", help="e.g. 'mon-fri 09:00-17:00'"),
    quiet_hours: str = typer.Option("20:00-08:00", help="no nudges in this span"),
    timezone: str = typer.Option("UTC", "--timezone", "--tz", help="IANA zone"),
    country: str | None = typer.Option(None, help="ISO country code, for public holidays"),
    region: str | None = typer.Option(None, help="holiday region within the country"),
    response_target: float = typer.Option(24.0, help="escalation response target, hours"),
    retainer: float = typer.Option(0.0, help="retainer hours per month"),
    profile: str = typer.Option("", help="team profile: stack, goals, constraints"),
    caio: list[str] = CAIO,
) -> None:
    """Add a client and link its workspaces."""
    try:
        spec = ClientSpec(
            id=client_id,
            name=name,
            slack=slack,
            discord=discord,
            console=console_ws,
            queue=queue,
            office_hours=office_hours,
            quiet_hours=quiet_hours,
            timezone=timezone,
            country=country,
            region=region,
            response_target_hours=response_target,
            retainer_hours=retainer,
            profile=profile,
            members=_caio_specs(caio),
        )
    except ValidationError as exc:
        typer.echo(f"error: {_errors(exc)}", err=True)
        raise typer.Exit(1) from None
    except ClientError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None

    async def work(session: AsyncSession) -> None:
        if await session.get(Client, spec.id) is not None:
            raise ClientError(f"client {spec.id!r} exists; change it with `clients set`")
        await save_spec(session, spec, SystemClock().now())

    _run(work)
    typer.echo(f"added client {spec.id} ({spec.name})")


@app.command("list")
def list_clients() -> None:
    """Every client, with its workspaces, queue and this month's hours."""

    async def work(session: AsyncSession) -> Table:
        table = Table("id", "name", "workspaces", "queue", "time zone", "hours this month")
        now = SystemClock().now()
        for client in await session.exec(select(Client).order_by(col(Client.id))):
            linked = await workspaces_of(session, client.id)
            hours = await month_hours(session, client, month_of(now, client.timezone), now)
            used = format_hours(hours.minutes)
            table.add_row(
                client.id,
                client.name,
                ", ".join(f"{w.platform}:{w.external_id}" for w in linked) or "—",
                queue_label(client),
                client.timezone,
                f"{used} of {format_hours(client.retainer_hours * 60)}"
                if client.retainer_hours
                else used,
            )
        return table

    console.print(_run(work))


@app.command("show")
def show(client_id: str = typer.Argument(..., metavar="ID")) -> None:
    """One client's settings and the people with roles."""

    async def work(session: AsyncSession) -> tuple[Table, Table]:
        client = await _client(session, client_id)
        settings = Table("setting", "value", title=client.name)
        for label, value in describe(client, await workspaces_of(session, client.id)):
            settings.add_row(label, value)
        people = Table("member", "platform", "user id", "role", "seniority", title="People")
        rows = await session.exec(
            select(Member).where(Member.client_id == client.id).order_by(col(Member.name))
        )
        for member in rows:
            people.add_row(
                member.name,
                member.platform,
                member.user_id,
                str(member.role),
                str(member.seniority or "—"),
            )
        return settings, people

    for table in _run(work):
        console.print(table)


@app.command("set")
def set_fields(
    client_id: str = typer.Argument(..., metavar="ID"),
    assignments: list[str] = typer.Argument(
        None, help="setting=value pairs, e.g. retainer=20 timezone=Europe/Berlin"
    ),
    slack: list[str] = SLACK,
    discord: list[str] = DISCORD,
    console_ws: list[str] = CONSOLE,
    caio: list[str] = CAIO,
) -> None:
    """Change settings (name, timezone, country, region, office_hours, quiet_hours,
    response_target, retainer, profile, queue) and link more workspaces."""
    pairs = []
    for item in assignments or []:
        key, sep, value = item.partition("=")
        if not sep:
            typer.echo(f"error: {item!r} should be setting=value", err=True)
            raise typer.Exit(1)
        pairs.append((key, value))

    async def work(session: AsyncSession) -> list[str]:
        client = await _client(session, client_id)
        changed = [apply_setting(client, key, value) for key, value in pairs]
        session.add(client)
        for platform, ids in (("slack", slack), ("discord", discord), ("console", console_ws)):
            for external_id in ids:
                await link(session, client.id, platform, external_id)
                changed.append(f"{platform}:{external_id} linked")
        for person in _caio_specs(caio):
            await upsert_member(session, client.id, person)
            changed.append(f"{person.name} is CAIO")
        await check_queue(session, client)
        await session.commit()
        return changed

    changed = _run(work)
    typer.echo(f"{client_id}: {', '.join(changed) or 'nothing to change'}")


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a client .toml file"),
) -> None:
    """Create or update a client from a TOML file (see config/examples/client.toml)."""
    try:
        spec = load_toml(read_import(file))
    except ClientError as exc:
        for line in str(exc).splitlines():
            typer.echo(f"{file}: {line}", err=True)
        typer.echo("nothing imported", err=True)
        raise typer.Exit(1) from None

    async def work(session: AsyncSession) -> Any:
        return await save_spec(session, spec, SystemClock().now())

    _run(work)
    typer.echo(
        f"imported client {spec.id} ({spec.name}): {len(spec.workspaces())} workspaces, "
        f"{len(spec.members)} people"
    )


async def _client(session: AsyncSession, client_id: str) -> Client:
    client = await session.get(Client, client_id)
    if client is None:
        raise ClientError(f"no client {client_id!r}; see `caio-bot clients list`")
    return client
