"""`/caio radar`: the client's tech radar, moving blips with a reason, each blip's
history, and the export build-your-own-radar reads."""

from __future__ import annotations

from bot.context import Context
from bot.message import Attachment, Message
from bot.practice import radar
from bot.registry import registry
from bot.text import shorten


@registry.command(
    "radar",
    summary="The client's tech radar (adopt, trial, assess, hold)",
    usage="radar [set <tech> <adopt|trial|assess|hold> [quadrant] [reason] | history <tech> | "
    "export [csv|json]]",
    example="radar",
)
async def show(ctx: Context, text: str) -> None:
    if text.strip():
        await ctx.usage(f"I don't understand `{shorten(text.strip(), 60)}`")
        return
    async with ctx.bot.db.session() as session:
        rows = await radar.blips(session, ctx.client_id)
    if not rows:
        await ctx.reply(
            "The radar is empty. Add a blip: `/caio radar set pgvector adopt platforms why…`",
            ephemeral=True,
        )
        return
    await ctx.reply(Message(radar.render(rows), title=f"{ctx.client.name} tech radar"))


@registry.command(
    "radar set",
    summary="Place or move a technology on the radar, with a reason",
    usage="radar set <tech> <adopt|trial|assess|hold> [quadrant] [reason]",
    example="radar set pgvector adopt platforms one database, good enough recall",
)
async def place(ctx: Context, text: str) -> None:
    placement = radar.parse_set(text)
    if placement is None:
        await ctx.usage()
        return
    async with ctx.bot.db.session() as session:
        existing = await radar.find(session, ctx.client_id, placement.name)
        if existing is None and placement.quadrant is None:
            await ctx.usage(
                f"{shorten(placement.name, 40)} is new: say its quadrant "
                "(techniques, tools, platforms or languages-and-frameworks)."
            )
            return
        blip, move = await radar.place(
            session, ctx.client_id, placement, ctx.member.name, ctx.bot.clock.now()
        )
    await ctx.reply(f"Radar: {radar.describe_move(move, blip)}.")


@registry.command(
    "radar history",
    summary="How a technology moved on the radar, and why",
    usage="radar history <tech>",
    example="radar history pgvector",
)
async def history(ctx: Context, text: str) -> None:
    if not text.strip():
        await ctx.usage()
        return
    async with ctx.bot.db.session() as session:
        blip = await radar.find(session, ctx.client_id, text)
        moves = await radar.history(session, ctx.client_id, blip) if blip else []
    if blip is None:
        await ctx.reply(f"{shorten(text.strip(), 40)} is not on the radar.", ephemeral=True)
        return
    lines = [
        f"{m.moved_at:%Y-%m-%d} · {radar.describe_move(m, blip)} · by {m.moved_by}" for m in moves
    ]
    await ctx.reply(Message("\n".join(lines), title=f"{blip.name} on the radar"), ephemeral=True)


@registry.command(
    "radar export",
    summary="The radar as build-your-own-radar CSV or JSON",
    usage="radar export [csv|json]",
    example="radar export csv",
)
async def export(ctx: Context, text: str) -> None:
    fmt = text.strip().lower() or "csv"
    if fmt not in ("csv", "json"):
        await ctx.usage()
        return
    async with ctx.bot.db.session() as session:
        rows = await radar.blips(session, ctx.client_id)
    content = radar.export(rows, fmt, ctx.bot.clock.now())
    name = f"radar-{ctx.client_id}.{fmt}"
    await ctx.reply(
        Message(
            f"{len(rows)} blip{'' if len(rows) == 1 else 's'}, ready for Thoughtworks' "
            "build-your-own-radar.",
            files=(Attachment(name, content.encode(), title=f"{ctx.client.name} tech radar"),),
        )
    )
