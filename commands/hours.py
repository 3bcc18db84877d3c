"""`/caio hours`: the CAIO's time against the client's retainer, and the one-click
"Log 30m" after answering an escalation. Alerts at 80% and 100%, once each."""

from __future__ import annotations

from sqlmodel import select

from bot.context import Context
from bot.db.models import Client, Escalation, Member, Role
from bot.db.models_practice import HoursEntry
from bot.events import Address
from bot.message import Message
from bot.permissions import CAIO
from bot.practice.hours import (
    alert_text,
    claim_alerts,
    format_hours,
    log_hours,
    month_entries,
    month_hours,
    month_of,
    parse_duration,
)
from bot.registry import registry
from bot.text import row_id, shorten

ESCALATION_MINUTES = 30


async def _caio_client(ctx: Context, client_id: str) -> Client | None:
    """Another client the caller may log for: one where the same person is CAIO or admin."""
    async with ctx.bot.db.session() as session:
        client = await session.get(Client, client_id)
        if client is None:
            return None
        member = (
            await session.exec(
                select(Member).where(
                    Member.client_id == client_id,
                    Member.platform == ctx.actor.platform,
                    Member.user_id == ctx.actor.id,
                )
            )
        ).first()
    return client if member is not None and Role(member.role) in CAIO else None


async def _log(
    ctx: Context, client: Client, minutes: int, note: str, escalation_id: int | None = None
) -> None:
    now = ctx.bot.clock.now()
    async with ctx.bot.db.session() as session:
        await log_hours(session, client.id, minutes, note, ctx.member.name, now, escalation_id)
        hours = await month_hours(session, client, month_of(now, client.timezone), now)
        crossed = await claim_alerts(session, client, hours, now)
    await ctx.reply(
        f"Logged {format_hours(minutes)} for {client.name}: {shorten(note, 120)}\n"
        + hours.summary(),
        ephemeral=True,
    )
    for threshold in crossed:
        text = alert_text(client, threshold, hours)
        if client.queue_address:
            await ctx.post(Message(text, address=Address.parse(client.queue_address)))
        else:
            await ctx.reply(text, ephemeral=True)


@registry.command(
    "hours",
    summary="This month's hours against the retainer (CAIO)",
    usage="hours",
    example="hours",
    private=True,
)
async def show(ctx: Context, text: str) -> None:
    if text.strip():
        await ctx.usage("To log time: `/caio hours log <duration> <note>`.")
        return
    client, now = ctx.client, ctx.bot.clock.now()
    month = month_of(now, client.timezone)
    async with ctx.bot.db.session() as session:
        hours = await month_hours(session, client, month, now)
        entries = await month_entries(session, client, month)
    lines = [
        f"{entry.worked_at:%d %b} · {format_hours(entry.minutes)} · {shorten(entry.note, 80)}"
        for entry in entries[-8:]
    ]
    await ctx.reply(
        Message(
            hours.summary() + ("\n" + "\n".join(lines) if lines else ""),
            title=f"{client.name} hours, {month}",
        ),
        ephemeral=True,
    )


@registry.command(
    "hours log",
    summary="Log time spent for this client (CAIO)",
    usage="hours log <duration like 1h30m, 90m or 1.5h> <note> [client]",
    example="hours log 1h30m reviewed the RAG evaluation plan",
    private=True,
)
async def log(ctx: Context, text: str) -> None:
    duration, _, note = text.strip().partition(" ")
    minutes = parse_duration(duration)
    if minutes is None or not note.strip():
        await ctx.usage("Log more than 0 and at most 24 h at a time, then say what it was for.")
        return
    client = ctx.client
    words = note.split()
    # A last word naming another client of the caller's logs there. A client they are not
    # the CAIO of is a word of the note, as an unknown one is: a refusal would tell a
    # client's admin which other clients the CAIO has. The reply names where it went.
    other = await _caio_client(ctx, words[-1]) if len(words) > 1 else None
    if other is not None and other.id != ctx.client_id:
        client, note = other, " ".join(words[:-1])
    await _log(ctx, client, minutes, note.strip())


@registry.action("hours.log_escalation")
async def log_escalation(ctx: Context, value: str) -> None:
    """The "Log 30m" button under an answered escalation: time goes to its client."""
    if not ctx.may("hours log"):
        await ctx.refuse("hours log")
        return
    # By id alone: the click may come from the CAIO's own workspace or a direct message,
    # far from the client's; who may log for that client is checked below.
    async with ctx.bot.db.session() as session:
        escalation_id = row_id(value)
        escalation = (
            await session.get(Escalation, escalation_id) if escalation_id is not None else None
        )
    client = (
        None
        if escalation is None
        else ctx.client
        if escalation.client_id == ctx.client_id
        else await _caio_client(ctx, escalation.client_id)
    )
    if escalation is None or client is None:  # another client's is as good as none
        await ctx.reply("That escalation is no longer available.", ephemeral=True)
        return
    async with ctx.bot.db.session() as session:
        logged = await session.exec(
            select(HoursEntry.id).where(HoursEntry.escalation_id == escalation.id)
        )
        if logged.first() is not None:  # a second click, or a second copy of the button
            await ctx.reply(f"Time for #{escalation.id} is already logged.", ephemeral=True)
            return
    await _log(
        ctx, client, ESCALATION_MINUTES, f"answered escalation #{escalation.id}", escalation.id
    )
