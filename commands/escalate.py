"""Escalating to the CAIO, and the CAIO answering: `/caio escalate`, `/caio answer`,
the Escalate button, replies in a queue thread, and Mark resolved."""

from __future__ import annotations

from sqlmodel import select

from bot.advisor.redact import redact
from bot.context import Context
from bot.db.models import Advice, Escalation, EscalationStatus, Question, Role
from bot.escalations import (
    Relayed,
    RelayFailed,
    answer_escalation,
    by_queue_thread,
    find_for_answer,
    format_due,
    open_escalation,
    refresh_queue_message,
    set_status,
)
from bot.events import Action, Address, ThreadReply
from bot.message import Button, Message, Posted
from bot.permissions import CAIO
from bot.registry import registry
from bot.text import row_id, says_something, shorten
from commands.ask import MAX_QUESTION


async def _escalate(
    ctx: Context,
    question: str,
    origin: Address,
    question_id: int | None = None,
    draft: Advice | None = None,
) -> None:
    opened = await open_escalation(
        ctx.bot,
        client=ctx.client,
        asker=ctx.member,
        question=question,
        origin=origin,
        question_id=question_id,
        draft=draft,
    )
    escalation, original = opened.escalation, opened.original
    await ctx.took_effect()  # a button's click is settled: the question is with the CAIO
    if opened.again:
        await ctx.reply(
            f"This question is already with the CAIO as #{escalation.id}; the answer will "
            f"appear in its thread, expected by {format_due(ctx.client, escalation)}.",
            ephemeral=True,
        )
        return
    if original is not None:
        text = (
            f"The CAIO already has this question as #{original.id}, so #{escalation.id} is "
            f"linked to it: the answer will appear here too, expected by "
            f"{format_due(ctx.client, original)}."
        )
    else:
        text = f"Escalated to the CAIO as #{escalation.id}"
        if opened.unqueued is not None:
            text += (
                f". It is saved, but I couldn't post it in the CAIO's queue yet "
                f"({opened.unqueued}); I'll keep trying"
            )
        elif not ctx.client.queue_address:
            text += " (no queue channel is set yet; the CAIO will see it in their list)"
        text += f". Expect an answer by {format_due(ctx.client, escalation)}; it will appear here."
    await ctx.bot.send(Message(text, address=origin))


@registry.command(
    "escalate",
    summary="Send a question straight to the CAIO",
    usage="escalate <question>",
    example="escalate can we send customer emails to OpenAI under our DPA?",
)
async def escalate(ctx: Context, text: str) -> None:
    if not says_something(text):
        await ctx.usage("What should the CAIO answer?")
        return
    if len(text) > MAX_QUESTION:  # the queue shows only so much, and it is a question
        await ctx.usage(f"That question is over {MAX_QUESTION} characters; please shorten it.")
        return
    await _escalate(ctx, redact(text.strip()), ctx.address)


@registry.action("question.escalate")
async def escalate_button(ctx: Context, value: str) -> None:
    async with ctx.bot.db.session() as session:
        question_id = row_id(value)
        question = await session.get(Question, question_id) if question_id is not None else None
        if question is None or question.client_id != ctx.client_id:
            await ctx.reply("That question is no longer available.", ephemeral=True)
            return
        draft = (
            await session.exec(select(Advice).where(Advice.question_id == question.id))
        ).first()
    origin = Address.parse(question.thread_address or question.origin_address)
    await _escalate(ctx, question.text, origin, question.id, draft)


@registry.command(
    "answer",
    summary="Answer an escalation (CAIO); relayed to the asker's thread",
    usage="answer <id> <text>",
    example="answer 12 Use pgvector until you pass 5M vectors; here is why…",
    private=True,
)
async def answer(ctx: Context, text: str) -> None:
    head, _, body = text.strip().partition(" ")
    if row_id(head) is None or not body.strip():
        await ctx.usage()
        return
    escalation = await find_for_answer(ctx.bot, head, ctx.client_id, ctx.address)
    if escalation is None:
        await ctx.reply(f"There is no escalation #{head.lstrip('#')} here.", ephemeral=True)
        return
    if escalation.status != EscalationStatus.OPEN:
        await ctx.reply(
            f"Escalation #{escalation.id} is already {escalation.status}; "
            "your answer is relayed again.",
            ephemeral=True,
        )
    await _relay(ctx, escalation, redact(body.strip()), None)


@registry.thread_reply
async def queue_thread_reply(ctx: Context, reply: ThreadReply) -> bool:
    """The CAIO replying in an escalation's queue thread answers it; teammates chatting
    there are left alone."""
    escalation = await by_queue_thread(ctx.bot, reply.address)
    if escalation is None:
        return False
    if Role(ctx.member.role) not in CAIO:
        return True
    left_out = ""
    if reply.files:
        names = ", ".join(reply.files)
        left_out = f"{names} not relayed: files stay in this thread; share a link in text."
    if not reply.text.strip():
        if left_out:
            await ctx.reply(f"Nothing was sent to the asker: {left_out}", ephemeral=True)
        return True
    posted = Posted(reply.address, reply.message_id) if reply.message_id else None
    await _relay(ctx, escalation, redact(reply.text.strip()), posted, left_out)
    return True


async def _relay(
    ctx: Context, escalation: Escalation, text: str, reply: Posted | None, left_out: str = ""
) -> None:
    """Answer and tell the CAIO how it went: relayed, relayed by direct message, or not at
    all (then nothing is logged, and their text is handed back to send again)."""
    try:
        relayed = await answer_escalation(ctx.bot, escalation, ctx.member, text, reply)
    except RelayFailed as exc:
        again = "Reply here again" if reply is not None else "Send it again"
        await ctx.reply(
            f"Couldn't deliver your answer to #{escalation.id}: {exc}. It stays open and "
            f"nothing was logged. {again} once that is fixed"
            + ("." if reply is not None else f"; your text:\n{shorten(text, 2500)}"),
            ephemeral=True,
        )
        return
    await ctx.reply(
        Message(
            f"Answer to #{escalation.id} {_how(relayed)} and logged as your advice.",
            notes=(
                *(f"Not relayed to linked {failure}" for failure in relayed.failed),
                *((left_out,) if left_out else ()),
            ),
            actions=(Button("hours.log_escalation", "Log 30m", str(escalation.id)),),
        ),
        ephemeral=True,
    )


def _how(relayed: Relayed) -> str:
    if relayed.detour is None:
        return "relayed"
    return f"sent to the asker by direct message (their thread: {relayed.detour})"


@registry.action("escalation.resolve")
async def resolve(ctx: Context, value: str) -> None:
    await _set_status(ctx, value, EscalationStatus.CLOSED, "marked resolved")


@registry.action("escalation.reopen")
async def reopen(ctx: Context, value: str) -> None:
    await _set_status(ctx, value, EscalationStatus.OPEN, "reopened")


async def _set_status(ctx: Context, value: str, status: EscalationStatus, verb: str) -> None:
    """Resolve or reopen from the queue message's button, which then shows the other one."""
    if not ctx.may("resolve"):
        await ctx.refuse("resolve", "resolve or reopen escalations")
        return
    escalation = await find_for_answer(ctx.bot, value, ctx.client_id, ctx.address)
    if escalation is None:
        await ctx.reply("That escalation is no longer available.", ephemeral=True)
        return
    if (escalation.status == EscalationStatus.CLOSED) == (status == EscalationStatus.CLOSED):
        # A stale copy of the message, or a second click before it was redrawn.
        state = "resolved" if status == EscalationStatus.CLOSED else "open"
        await ctx.reply(f"Escalation #{escalation.id} is already {state}.", ephemeral=True)
        return
    changed = await set_status(ctx.bot, escalation.id or 0, status)
    assert changed is not None
    inbound = ctx.inbound
    queue = Address.parse(changed.queue_address) if changed.queue_address else None
    if isinstance(inbound, Action) and queue is not None and queue.root == ctx.address.root:
        await refresh_queue_message(ctx.bot, changed, Posted(ctx.address, inbound.message_id))
    await ctx.reply(f"Escalation #{value} {verb} by {ctx.member.name}.")
