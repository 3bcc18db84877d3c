"""`/caio advice`: the advice log, and the Helpful / Not helpful buttons that rate it."""

from __future__ import annotations

from sqlmodel import col, select

from bot.context import Context
from bot.db import fulltext
from bot.db.models import Advice, AdviceSource, Feedback
from bot.directory import find_member
from bot.message import Button, Message
from bot.registry import registry
from bot.text import row_id, shorten, terms
from commands.config import person_token

PAGE = 10
FEEDBACK_MARK = {Feedback.HELPFUL: "👍 helpful", Feedback.NOT_HELPFUL: "👎 not helpful"}


def render_entry(advice: Advice) -> str:
    by = {AdviceSource.CAIO: f"{advice.author} (CAIO)", AdviceSource.AI: "AI"}.get(
        AdviceSource(advice.source), advice.author
    )
    mark = FEEDBACK_MARK.get(Feedback(advice.feedback), "") if advice.feedback else ""
    head = f"*#{advice.id}* {advice.created_at:%Y-%m-%d} · asked by {advice.mentee_name or '—'}"
    head += f" · answered by {by}" + (f" · {mark}" if mark else "")
    return f"{head}\n> {shorten(advice.question, 160)}\n{shorten(advice.answer, 280)}"


@registry.command(
    "advice",
    summary="The advice log: search it, or see yours or a teammate's",
    usage="advice [search <terms> | mine | @user]",
    example="advice search vector database",
    private=True,
)
async def advice(ctx: Context, text: str) -> None:
    head, _, rest = text.strip().partition(" ")
    query = select(Advice).where(Advice.client_id == ctx.client_id)
    if head == "search":
        words = terms(rest)
        if not words:
            await ctx.usage("Search for what?")
            return
        async with ctx.bot.db.session() as session:
            hits = await fulltext.search_advice(
                session, ctx.client_id, words, mode="all", limit=PAGE, newest_first=True
            )
        ids = [i for i, _ in hits]
        query = query.where(col(Advice.id).in_(ids))
        title = f"Advice matching “{shorten(rest, 60)}”"
    elif head == "mine":
        query = query.where(Advice.mentee_id == ctx.member.id)
        title = "Advice you received"
    elif head.startswith(("@", "<@")):  # a bare word is a typo more often than a name
        async with ctx.bot.db.session() as session:
            person = await find_member(session, ctx.client_id, person_token(head))
        if person is None:
            await ctx.reply(f"I don't know {shorten(head, 40)} in this team.", ephemeral=True)
            return
        query = query.where(Advice.mentee_id == person.id)
        title = f"Advice for {person.name}"
    elif head:
        await ctx.usage()
        return
    else:
        title = "Latest advice"
    async with ctx.bot.db.session() as session:
        rows = list(
            await session.exec(
                query.order_by(col(Advice.created_at).desc(), col(Advice.id).desc()).limit(PAGE)
            )
        )
    if not rows:
        await ctx.reply(f"{title}: nothing yet.", ephemeral=True)
        return
    await ctx.reply(
        Message("\n\n".join(render_entry(r) for r in rows), title=title), ephemeral=True
    )


async def _rate(ctx: Context, value: str, feedback: Feedback) -> Advice | None:
    async with ctx.bot.db.session() as session:
        advice_id = row_id(value)
        row = await session.get(Advice, advice_id) if advice_id is not None else None
        if row is None or row.client_id != ctx.client_id:
            await ctx.reply("That advice is no longer available.", ephemeral=True)
            return None
        if row.mentee_id is not None and row.mentee_id != ctx.member.id:
            # The log records whether advice helped the person it was given to.
            await ctx.reply(
                f"Only {row.mentee_name or 'the asker'}, who asked, can rate this answer.",
                ephemeral=True,
            )
            return None
        row.feedback = feedback
        session.add(row)
        await session.commit()
        return row


@registry.action("advice.helpful")
async def helpful(ctx: Context, value: str) -> None:
    if await _rate(ctx, value, Feedback.HELPFUL):
        await ctx.took_effect()
        await ctx.reply(f"Thanks {ctx.member.name}, marked helpful. 👍", ephemeral=True)


@registry.action("advice.not_helpful")
async def not_helpful(ctx: Context, value: str) -> None:
    row = await _rate(ctx, value, Feedback.NOT_HELPFUL)
    if row is None:
        return
    await ctx.took_effect()
    buttons: tuple[Button, ...] = ()
    if row.question_id is not None and row.source == AdviceSource.AI:
        buttons = (Button("question.escalate", "Escalate", str(row.question_id), "danger"),)
    await ctx.reply(
        Message(
            "Noted, marked not helpful. Want the CAIO to answer it instead?",
            actions=buttons,
        ),
        ephemeral=True,
    )
