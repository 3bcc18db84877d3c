"""`/caio decide` and `/caio decisions`: the client's architecture and strategy decisions
in the ADR shape, typed as a form or drafted from a thread, searchable, supersedable."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import forms
from bot.advisor.redact import redact
from bot.context import Context
from bot.db.models import Advice, Escalation, Question
from bot.db.models_practice import Decision, DecisionStatus
from bot.events import Address, Mention
from bot.forms import Form, FormField
from bot.message import Button, Message
from bot.practice import decisions
from bot.registry import registry
from bot.text import row_id, shorten


async def _save(
    ctx: Context, draft: decisions.Draft, status: DecisionStatus, thread: str | None = None
) -> Decision:
    async with ctx.bot.db.session() as session:
        decision = await decisions.record(
            session,
            ctx.client_id,
            draft,
            ctx.member.name,
            ctx.bot.clock.now(),
            status=status,
            thread=thread,
        )
        old_number = row_id(draft.get("supersedes"))
        if old_number is not None:
            old = await decisions.by_number(session, ctx.client_id, old_number)
            if old is not None and old.number != decision.number:
                await decisions.supersede(session, old, decision)
    return decision


@registry.command(
    "decide",
    summary="Record an architecture or strategy decision (ADR)",
    usage=decisions.FORM,
    example="decide Use pgvector | context: 2M docs, Postgres already | options: pgvector; "
    "Pinecone | decision: pgvector | consequences: one database to run",
)
async def decide(ctx: Context, text: str) -> None:
    draft = decisions.parse_form(text)
    if draft.unknown:
        await _refuse_labels(ctx, draft.unknown, text)
        return
    await _decide(ctx, draft)


async def _refuse_labels(ctx: Context, unknown: list[str], text: str) -> None:
    """Nothing is recorded with a label the form does not have, and the text comes back,
    so nothing typed is lost."""
    named = ", ".join(f"`{label}:`" for label in unknown)
    known = ", ".join(f"`{label}:`" for label in ("title", *decisions.FIELDS))
    await ctx.reply(
        f"A decision has no {named}; its labels are {known}. Nothing recorded. "
        f"What you sent:\n```\n{text.strip()}\n```",
        ephemeral=True,
    )


@registry.form_opener("decide")
async def decide_form(ctx: Context, text: str) -> Form | None:
    """A bare `/caio decide [title]` asks for the ADR's fields in a form."""
    draft = decisions.parse_form(text)
    if draft.values or draft.unknown:  # typed fields go through the one-line form
        return None
    fields = [
        FormField(
            "context", "Context", multiline=True, placeholder="What forces this decision now?"
        ),
        FormField(
            "options",
            "Options",
            multiline=True,
            required=False,
            placeholder="pgvector; Pinecone; Qdrant",
        ),
        FormField("decision", "Decision", multiline=True, placeholder="What was chosen, and why"),
        FormField(
            "consequences",
            "Consequences",
            multiline=True,
            required=False,
            placeholder="What this commits us to",
        ),
    ]
    carried = draft.title if len(draft.title) <= forms.MAX_CONTEXT else ""
    if not carried:
        fields.insert(0, FormField("title", "Title", initial=draft.title))
    return Form(
        "decide",
        shorten(f"Decision: {carried}", forms.MAX_LABEL) if carried else "Record a decision",
        tuple(fields),
        submit_label="Record",
        context_value=carried,
        usage=decisions.FORM,
    )


@registry.action("form:decide")
async def decide_submitted(ctx: Context, value: str) -> None:
    if not ctx.may("decide"):
        await ctx.refuse("decide")
        return
    submission = forms.decode(value)
    if submission is None:
        await ctx.reply(
            "That form could not be read; please run `/caio decide` again.", ephemeral=True
        )
        return
    title = submission.get("title") or submission.context
    values = {name: submission.get(name) for name in decisions.FIELDS if submission.get(name)}
    await _decide(ctx, decisions.Draft(title, values))


async def _decide(ctx: Context, draft: decisions.Draft) -> None:
    gaps = decisions.missing(draft)
    if gaps:
        title = draft.title or "<title>"
        await ctx.reply(
            f"A decision needs {', '.join(gaps)}. Send it as one line or one field per line:\n"
            f"`/caio decide {title} | context: … | options: … | decision: … | consequences: …`\n"
            "Optional: `| supersedes: <number>`. In a thread: `/caio decide from-thread`.",
            ephemeral=True,
        )
        return
    decision = await _save(ctx, draft, DecisionStatus.ACCEPTED)
    await ctx.reply(Message(decisions.render(decision), title="Decision recorded"))


async def _thread_lines(ctx: Context, thread: Address) -> list[str]:
    """What we know was said in this thread: its question, answers and escalation."""
    async with ctx.bot.db.session() as session:
        questions = list(
            await session.exec(
                select(Question).where(
                    Question.client_id == ctx.client_id, Question.thread_address == thread.key
                )
            )
        )
        escalations = list(
            await session.exec(
                select(Escalation).where(
                    Escalation.client_id == ctx.client_id,
                    (Escalation.queue_address == thread.key)
                    | (Escalation.origin_address == thread.key),
                )
            )
        )
        question_ids = [q.id for q in questions] + [e.question_id for e in escalations]
        escalation_ids = [e.id for e in escalations]
        answers = list(
            await session.exec(
                select(Advice)
                .where(
                    Advice.client_id == ctx.client_id,
                    col(Advice.question_id).in_([i for i in question_ids if i is not None])
                    | col(Advice.escalation_id).in_(escalation_ids),
                )
                .order_by(col(Advice.created_at), col(Advice.id))
            )
        )
    lines = [f"Question: {q.text}" for q in questions]
    if not lines:
        lines = [f"Question: {e.question}" for e in escalations]
    lines += [f"{a.author}: {a.answer}" for a in answers]
    return lines


@registry.command(
    "decide from-thread",
    summary="Draft a decision from this thread, to accept or edit",
    usage="decide from-thread [title]",
    example="decide from-thread Vector store choice",
)
async def from_thread(ctx: Context, text: str) -> None:
    await _draft_from_thread(ctx, text)


async def save_thread(ctx: Context, title: str, mention: Mention) -> None:
    """ "@caio save this thread as a decision [title]": the thread's words, as a draft ADR."""
    if not ctx.may("decide from-thread"):
        await ctx.refuse("decide from-thread")
        return
    ctx.spec = ctx.bot.registry.commands["decide from-thread"]
    await _draft_from_thread(ctx, title, mention.history)


async def _draft_from_thread(ctx: Context, text: str, history: tuple[str, ...] = ()) -> None:
    if ctx.address.thread is None:
        await ctx.usage("Run it inside the thread the decision was discussed in.")
        return
    # What people said in the thread, when the platform gave it, is the discussion itself;
    # our own record (question, answers, escalation) stands in when it did not.
    # Raw chat: a secret pasted in the thread must not enter the decision log.
    lines = [redact(line) for line in history] or await _thread_lines(ctx, ctx.address)
    if not lines:
        await ctx.reply(
            f"I have no record of this thread. Record it with `/caio {decisions.FORM}`.",
            ephemeral=True,
        )
        return
    draft = decisions.compose_from_thread(lines, text.strip())
    reply = await ctx.bot.advisor.write(
        decisions.draft_messages(lines, text.strip()), "decision draft"
    )
    drafted = decisions.parse_form(reply) if reply else None
    if drafted is not None and not decisions.missing(drafted):
        draft = drafted
    decision = await _save(ctx, draft, DecisionStatus.PROPOSED, ctx.address.key)
    await ctx.reply(
        Message(
            decisions.render(decision),
            title="Draft decision from this thread",
            notes=("Accept it, or record an edited version with `/caio decide …`.",),
            actions=(
                Button(
                    "decision.accept",
                    "Accept",
                    f"{decision.client_id}/{decision.number}",
                    "primary",
                ),
            ),
        )
    )


@registry.action("decision.accept")
async def accept(ctx: Context, value: str) -> None:
    """The button names the draft's client as well as its number (ADR numbers are per
    client): in a channel two clients share, a click must not accept the clicker's own
    client's ADR of that number. Buttons from before carry the number alone."""
    if not ctx.may("decide"):
        await ctx.refuse("decide")
        return
    client_id, _, typed = value.rpartition("/")
    async with ctx.bot.db.session() as session:
        decision = (
            await decisions.by_number(session, ctx.client_id, number)
            if (number := row_id(typed)) is not None and client_id in ("", ctx.client_id)
            else None
        )
        if decision is None:
            await ctx.reply("That decision is no longer available.", ephemeral=True)
            return
        await decisions.accept(session, decision)
    await ctx.reply(f"ADR-{decision.number:03d} accepted by {ctx.member.name}.")


@registry.command(
    "decisions",
    summary="The client's decisions: list, search, or show one",
    usage="decisions [search <terms> | <number>]",
    example="decisions search vector",
)
async def list_decisions(ctx: Context, text: str) -> None:
    head, _, rest = text.strip().partition(" ")
    number = row_id(head)
    async with ctx.bot.db.session() as session:
        if number is not None and not rest:
            one = await decisions.by_number(session, ctx.client_id, number)
            if one is None:
                await ctx.reply(f"There is no decision {shorten(head, 20)} here.", ephemeral=True)
                return
            await ctx.reply(Message(decisions.render(one)), ephemeral=True)
            return
        if head == "search" and not rest.strip():
            await ctx.usage("Search for what?")
            return
        if head and head != "search":
            await ctx.usage()
            return
        rows = await decisions.search(session, ctx.client_id, rest)
    title = f"Decisions matching “{shorten(rest, 60)}”" if rest else "Decisions"
    if not rows:
        await ctx.reply(f"{title}: none yet.", ephemeral=True)
        return
    body = "\n".join(
        f"{decisions.heading(d)}: {shorten(d.decision or d.context, 140)}" for d in rows
    )
    await ctx.reply(Message(body, title=title), ephemeral=True)


@registry.command(
    "decisions supersede",
    summary="Mark an older decision superseded by a newer one",
    usage="decisions supersede <old number> <new number>",
    example="decisions supersede 2 5",
)
async def supersede(ctx: Context, text: str) -> None:
    parts = [row_id(p) for p in text.split()]
    if len(parts) != 2 or parts[0] is None or parts[1] is None or parts[0] == parts[1]:
        await ctx.usage()
        return
    async with ctx.bot.db.session() as session:
        old = await decisions.by_number(session, ctx.client_id, parts[0])
        new = await decisions.by_number(session, ctx.client_id, parts[1])
        if old is None or new is None:
            await ctx.reply("Both decisions must exist in this client.", ephemeral=True)
            return
        if await _leads_to(session, ctx.client_id, new, old.number):
            await ctx.reply(
                f"ADR-{new.number:03d} is itself superseded by ADR-{old.number:03d}, directly "
                "or through later decisions; that would leave no current decision.",
                ephemeral=True,
            )
            return
        await decisions.supersede(session, old, new)
    await ctx.reply(f"ADR-{old.number:03d} is now superseded by ADR-{new.number:03d}.")


async def _leads_to(session: AsyncSession, client_id: str, start: Decision, number: int) -> bool:
    """Whether following "superseded by" from `start` reaches decision `number`: then making
    `number` superseded by `start` would close a loop in which no decision is current."""
    seen: set[int] = set()
    step: Decision | None = start
    while step is not None and step.superseded_by is not None and step.number not in seen:
        if step.superseded_by == number:
            return True
        seen.add(step.number)
        step = await decisions.by_number(session, client_id, step.superseded_by)
    return False
