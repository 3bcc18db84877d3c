"""`/caio config`: the client's settings, roles and seniority, and where the queue is
(CAIO and admins only, by the permissions table)."""

from __future__ import annotations

import re

from sqlmodel import col, select

from bot.context import Context
from bot.db.models import Client, Member, Role, Seniority
from bot.directory import find_member
from bot.message import Message
from bot.permissions import CAIO
from bot.practice.clients import (
    ClientError,
    apply_setting,
    check_queue,
    describe,
    setting_names,
    workspaces_of,
)
from bot.registry import registry
from bot.text import shorten

_SLACK_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_DISCORD_MENTION = re.compile(r"^<@!?(\d+)>$")


def person_token(token: str) -> str:
    """`@dana`, `<@U0123|dana>` (Slack) or `<@123>` (Discord) → what `find_member` looks up."""
    for pattern in (_SLACK_MENTION, _DISCORD_MENTION):
        match = pattern.match(token)
        if match:
            return match.group(1)
    return token.lstrip("@")


async def _member(ctx: Context, token: str) -> Member | None:
    async with ctx.bot.db.session() as session:
        person = await find_member(session, ctx.client_id, person_token(token))
    if person is None:
        await ctx.reply(
            f"I don't know {shorten(token, 40)} in this team yet; people appear once they "
            "have used `/caio`.",
            ephemeral=True,
        )
    return person


@registry.command(
    "config",
    summary="This client's settings (CAIO): show, set, roles, seniority, queue",
    usage="config [show]",
    example="config show",
    private=True,
)
async def show(ctx: Context, text: str) -> None:
    if text.strip() not in ("", "show"):
        await ctx.usage("Try `/caio help config`.")
        return
    async with ctx.bot.db.session() as session:
        client = await session.get(Client, ctx.client_id)
        assert client is not None
        rows = describe(client, await workspaces_of(session, client.id))
    await ctx.reply(
        Message("", title=f"{client.name} settings", fields=tuple(rows)), ephemeral=True
    )


@registry.command(
    "config set",
    summary="Change one client setting (CAIO)",
    usage="config set <setting> <value>",
    example="config set profile Python/FastAPI, Postgres; goal: RAG support bot by Q2",
    private=True,
)
async def set_setting(ctx: Context, text: str) -> None:
    name, _, value = text.strip().partition(" ")
    if not name or not value.strip():
        await ctx.usage(f"Settings: {setting_names()}.")
        return
    async with ctx.bot.db.session() as session:
        client = await session.get(Client, ctx.client_id)
        assert client is not None
        try:
            field = apply_setting(client, name, value)
            await check_queue(session, client, from_chat=True)
        except ClientError as exc:
            await ctx.reply(str(exc), ephemeral=True)
            return
        session.add(client)
        await session.commit()
        ctx.client = client
    await ctx.reply(f"{client.name}: {field} set to {shorten(value.strip(), 200)}.", ephemeral=True)


@registry.command(
    "config role",
    summary="Give a teammate a role in this client (CAIO)",
    usage="config role @user <member|lead|caio|admin>",
    example="config role @sam lead",
    private=True,
)
async def set_role(ctx: Context, text: str) -> None:
    parts = text.split()
    if len(parts) != 2 or parts[1].lower() not in {r.value for r in Role}:
        await ctx.usage()
        return
    person = await _member(ctx, parts[0])
    if person is None:
        return
    role = Role(parts[1].lower())
    if Role(person.role) in CAIO and role not in CAIO and not await _another_caio(ctx, person):
        await ctx.reply(
            f"{person.name} is the last CAIO or admin of {ctx.client.name}: give someone "
            "else that role first, or nobody could change these settings from chat.",
            ephemeral=True,
        )
        return
    await ctx.bot.db.update(Member, person.id, role=role)
    await ctx.reply(f"{person.name} is now {role} in {ctx.client.name}.", ephemeral=True)


async def _another_caio(ctx: Context, person: Member) -> bool:
    async with ctx.bot.db.session() as session:
        others = await session.exec(
            select(Member.id).where(
                Member.client_id == ctx.client_id,
                Member.id != person.id,
                col(Member.role).in_([r.value for r in CAIO]),
            )
        )
        return others.first() is not None


async def _seniority(ctx: Context, text: str, level: Seniority) -> None:
    parts = text.split()
    if len(parts) != 1:
        await ctx.usage()
        return
    person = await _member(ctx, parts[0])
    if person is None:
        return
    await ctx.bot.db.update(Member, person.id, seniority=level)
    await ctx.reply(f"{person.name} is marked {level}.", ephemeral=True)


@registry.command(
    "config junior",
    summary="Mark a developer as junior (reports list juniors first)",
    usage="config junior @user",
    example="config junior @ana",
    private=True,
)
async def junior(ctx: Context, text: str) -> None:
    await _seniority(ctx, text, Seniority.JUNIOR)


@registry.command(
    "config senior",
    summary="Mark a developer as senior",
    usage="config senior @user",
    example="config senior @sam",
    private=True,
)
async def senior(ctx: Context, text: str) -> None:
    await _seniority(ctx, text, Seniority.SENIOR)


@registry.command(
    "config queue",
    summary="Make this channel the client's escalation queue (CAIO)",
    usage="config queue here",
    example="config queue here",
    private=True,
)
async def queue_here(ctx: Context, text: str) -> None:
    if text.strip().lower() != "here":
        await ctx.usage()
        return
    async with ctx.bot.db.session() as session:
        client = await session.get(Client, ctx.client_id)
        assert client is not None
        client.queue_address = ctx.address.root.key
        session.add(client)
        await session.commit()
    await ctx.reply(
        f"Escalations for {client.name} now arrive in #{ctx.address.channel}.", ephemeral=True
    )
