"""`/caio report [YYYY-MM]`: this client's monthly value report, uploaded as Markdown plus
its chart (leads, the CAIO and admins)."""

from __future__ import annotations

import asyncio

from bot.context import Context
from bot.message import Attachment, Message
from bot.practice.hours import in_calendar, month_of, not_started, valid_month
from bot.practice.report import build_report, outcomes, render_files
from bot.registry import registry


@registry.command(
    "report",
    summary="The monthly value report for this client, as a file",
    usage="report [YYYY-MM]",
    example="report 2026-10",
)
async def report(ctx: Context, text: str) -> None:
    month = text.strip() or month_of(ctx.bot.clock.now(), ctx.client.timezone)
    if not valid_month(month):
        await ctx.usage()
        return
    if not in_calendar(month):
        await ctx.reply(f"{month} is outside the calendar.", ephemeral=True)
        return
    refusal = not_started(month, ctx.bot.clock.now(), ctx.client.timezone)
    if refusal:
        await ctx.reply(refusal, ephemeral=True)
        return
    async with ctx.bot.db.session() as session:
        built = await build_report(session, ctx.client, month, ctx.bot.clock.now())
    markdown, chart = await asyncio.to_thread(render_files, built)
    await ctx.reply(
        Message(
            "\n".join(f"• {line}" for line in outcomes(built)),
            title=f"{ctx.client.name}: value report, {built.month_name}",
            files=(
                Attachment(markdown[0], markdown[1], title="Report (Markdown)"),
                Attachment(chart[0], chart[1], title="Chart"),
            ),
        )
    )
