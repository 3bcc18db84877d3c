"""Escalations: a question handed to the CAIO's queue, answered there, relayed back.

The queue conversation may be on another platform than the asker's; the Bot holds every
adapter, so posting to an Address is all this module needs.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select

from bot.adapter import DeliveryError
from bot.db.engine import LockTimeout
from bot.db.models import (
    Advice,
    AdviceSource,
    Client,
    Escalation,
    EscalationStatus,
    Member,
)
from bot.directory import client_for, role_of
from bot.events import Actor, Address
from bot.message import Button, Message, Posted
from bot.permissions import may_run
from bot.sla import due_at
from bot.text import row_id, shorten

if TYPE_CHECKING:
    from bot.core import Bot

log = structlog.get_logger(__name__)

# How long an escalation waits for another process to finish opening one for the same
# client (its queue post may be held up by a rate limit) before it opens without waiting.
LOCK_WAIT_SECONDS = 60


def format_due(client: Client, escalation: Escalation) -> str:
    local = escalation.due_at.astimezone(ZoneInfo(client.timezone))
    return f"{local:%a %d %b %H:%M} {client.timezone}"


@dataclass(frozen=True)
class Opened:
    """What `open_escalation` did, for the asker's confirmation."""

    escalation: Escalation
    original: Escalation | None = None
    """The open escalation it was linked to, asking the same in other words."""
    again: bool = False
    """The same question (the same Escalate button) is already open: nothing new was made."""
    unqueued: str | None = None
    """Why its queue post failed, when it did: it is kept, and posted again later."""


async def open_escalation(
    bot: Bot,
    *,
    client: Client,
    asker: Member,
    question: str,
    origin: Address,
    question_id: int | None = None,
    draft: Advice | None = None,
) -> Opened:
    """Store the escalation, post it to the client's queue and open a thread there; one that
    asks what an open escalation already asks is linked to that one's thread instead.

    A client's escalations open one at a time, across processes, so that two people asking
    the same at once see each other's: the second is linked once the first has its thread.
    If the one before takes longer than `LOCK_WAIT_SECONDS`, this one is queued without
    waiting: the CAIO may see the question twice, but no asker loses theirs."""
    try:
        async with bot.db.lock(f"escalations:{client.id}", timeout_seconds=LOCK_WAIT_SECONDS):
            return await _open(bot, client, asker, question, origin, question_id, draft)
    except LockTimeout:
        log.warning("escalation lock busy, opening without it", client=client.id)
    return await _open(bot, client, asker, question, origin, question_id, draft)


async def _open(
    bot: Bot,
    client: Client,
    asker: Member,
    question: str,
    origin: Address,
    question_id: int | None,
    draft: Advice | None,
) -> Opened:
    now = bot.clock.now()
    opened = await open_for_client(bot, client.id)
    if question_id is not None:
        for earlier in opened:
            if earlier.question_id == question_id:  # Escalate clicked again, or by a teammate
                return Opened(earlier, again=True)
    same = await bot.advisor.retriever.duplicate_of(
        question, [(e.id or 0, e.question) for e in opened]
    )
    original = next((e for e in opened if e.id == same), None)
    escalation = Escalation(
        client_id=client.id,
        question_id=question_id,
        draft_advice_id=draft.id if draft else None,
        asker_id=asker.id or 0,
        question=question,
        origin_address=origin.key,
        created_at=now,
        due_at=due_at(client, now),
    )
    async with bot.db.session() as session:
        session.add(escalation)
        await session.commit()
        await session.refresh(escalation)
    if original is not None and original.queue_address:
        return Opened(await _link(bot, escalation, original, asker), original=original)
    if not client.queue_address:
        return Opened(escalation)
    try:
        await post_to_queue(bot, client, escalation, asker, draft)
    except Exception as exc:  # kept, and posted again by the scheduler (scheduler/requeue.py)
        log.warning("escalation not queued", escalation=escalation.id, exc_info=True)
        return Opened(escalation, unqueued=refusal(exc))
    return Opened(escalation)


async def post_to_queue(
    bot: Bot, client: Client, escalation: Escalation, asker: Member, draft: Advice | None
) -> None:
    """Post the escalation to the client's queue channel and open its thread there."""
    assert client.queue_address is not None
    queue = Address.parse(client.queue_address)
    origin_link = await bot.permalink(Address.parse(escalation.origin_address))
    message = queue_message(client, escalation, asker, draft, origin_link)
    root = await bot.send(message.to(queue))
    thread = await bot.open_thread(root, f"#{escalation.id} {shorten(escalation.question, 80)}")
    await bot.db.update(Escalation, escalation.id, queue_address=thread.key)
    escalation.queue_address = thread.key


def refusal(exc: Exception) -> str:
    """Why a post failed, as a user can read it: the platform's refusal, or an outage."""
    if isinstance(exc, DeliveryError):
        return str(exc)
    return "the chat platform did not take it; it may be down or rate-limiting us"


async def _link(
    bot: Bot, escalation: Escalation, original: Escalation, asker: Member
) -> Escalation:
    """Share the open escalation's queue thread: the CAIO answers once, both askers hear."""
    await bot.db.update(Escalation, escalation.id, queue_address=original.queue_address)
    escalation.queue_address = original.queue_address
    assert original.queue_address is not None
    note = (
        f"Also asked by {asker.name} as #{escalation.id} (linked to #{original.id}; "
        f"your answer reaches both): {shorten(escalation.question, 600)}"
    )
    await bot.send(Message(note, address=Address.parse(original.queue_address)))
    return escalation


def queue_message(
    client: Client, escalation: Escalation, asker: Member, draft: Advice | None, origin: str
) -> Message:
    fields = [
        ("Client", client.name),
        ("Asked by", asker.name + (f" ({asker.seniority})" if asker.seniority else "")),
        ("Due", format_due(client, escalation)),
        ("Asked in", origin),
    ]
    notes: list[str] = []
    if draft is not None:
        notes.append(f"AI draft: {shorten(draft.answer, 1200)}")
        if draft.sources:
            notes.append(f"Draft sources: {draft.sources}")
    if escalation.status == EscalationStatus.CLOSED:
        notes.append("Resolved.")
        action = Button("escalation.reopen", "Reopen", str(escalation.id))
    else:
        notes.append(f"Reply in this thread, or `/caio answer {escalation.id} <text>`.")
        action = Button("escalation.resolve", "Mark resolved", str(escalation.id))
    return Message(
        shorten(escalation.question, 2800),
        title=f"Escalation #{escalation.id}",
        fields=tuple(fields),
        notes=tuple(notes),
        actions=(action,),
    )


async def refresh_queue_message(bot: Bot, escalation: Escalation, posted: Posted) -> None:
    """Re-render the queue message after its status changed (resolved, reopened)."""
    async with bot.db.session() as session:
        client = await session.get(Client, escalation.client_id)
        asker = await session.get(Member, escalation.asker_id)
        draft = (
            await session.get(Advice, escalation.draft_advice_id)
            if escalation.draft_advice_id
            else None
        )
    assert client is not None and asker is not None
    origin = await bot.permalink(Address.parse(escalation.origin_address))
    await bot.update(posted, queue_message(client, escalation, asker, draft, origin))


async def find_for_answer(
    bot: Bot, escalation_id: int | str, client_id: str, here: Address
) -> Escalation | None:
    """An escalation the caller may act on: their client's, or one queued in this channel
    (a CAIO's own workspace may host the queues of several clients). Takes the id as typed
    or as a button's value; anything that is not an id finds nothing."""
    if isinstance(escalation_id, str):
        parsed = row_id(escalation_id)
        if parsed is None:
            return None
        escalation_id = parsed
    async with bot.db.session() as session:
        row = await session.get(Escalation, escalation_id)
    if row is None:
        return None
    if row.client_id == client_id:
        return row
    if row.queue_address and Address.parse(row.queue_address).root == here.root:
        return row
    return None


async def answerable(bot: Bot, actor: Actor, here: Address, typed: str = "") -> list[Escalation]:
    """The open escalations `actor` may answer from `here`, soonest due first: their
    client's and those queued in this channel, matching what is typed (the start of an id,
    or words of the question). None for who may not answer, as questions may be
    confidential."""
    async with bot.db.session() as session:
        client = await client_for(session, here.platform, here.workspace)
        role = await role_of(session, client.id if client is not None else None, actor)
        if not may_run(role, "answer"):
            return []
        where = col(Escalation.queue_address).startswith(here.root.key)
        if client is not None:
            where = where | (col(Escalation.client_id) == client.id)
        rows = await session.exec(
            select(Escalation)
            .where(where, col(Escalation.status) == EscalationStatus.OPEN)
            .order_by(col(Escalation.due_at))
            .limit(25)
        )
        found = list(rows)
    wanted = typed.lstrip("#").strip()
    return [
        e
        for e in found
        if not wanted or str(e.id).startswith(wanted) or wanted.lower() in e.question.lower()
    ]


async def by_queue_thread(bot: Bot, thread: Address) -> Escalation | None:
    async with bot.db.session() as session:
        rows = await session.exec(select(Escalation).where(Escalation.queue_address == thread.key))
        return rows.first()


class RelayFailed(Exception):
    """The CAIO's answer reached neither the asker's thread nor the asker: nothing was
    logged and the escalation stays open. The text says why, for the CAIO."""


@dataclass(frozen=True)
class Relayed:
    advice: Advice
    detour: str | None = None
    """Why the asker's thread could not take the answer, when it went to them directly."""
    failed: tuple[str, ...] = ()
    """Linked escalations the answer could not reach, each as "#id: why"."""


async def answer_escalation(
    bot: Bot,
    escalation: Escalation,
    caio: Member,
    text: str,
    reply: Posted | None = None,
    *,
    linked: bool = False,
) -> Relayed:
    """Log the CAIO's answer as advice, relay it to the asker's thread, mark answered; open
    escalations linked to the same queue thread get the same answer.

    The asker must get it: when their thread refuses it (archived, deleted, the bot
    removed), it goes to them by direct message; when that fails too, the log and the
    status are put back and `RelayFailed` says why, so the CAIO can try again."""
    async with bot.db.session() as session:
        row = await session.get(Escalation, escalation.id)
        asker = await session.get(Member, escalation.asker_id)
        assert row is not None and asker is not None
        advice = Advice(
            client_id=row.client_id,
            question=row.question,
            answer=text,
            source=AdviceSource.CAIO,
            author=caio.name,
            mentee_id=asker.id,
            mentee_name=asker.name,
            question_id=row.question_id,
            escalation_id=row.id,
            created_at=bot.clock.now(),
        )
        session.add(advice)
        await session.flush()
        was = row.status, row.answered_at, row.answer_advice_id
        row.status = EscalationStatus.ANSWERED
        row.answered_at = bot.clock.now()
        row.answer_advice_id = advice.id
        session.add(row)
        await session.commit()
        await session.refresh(advice)
    try:
        detour = await _deliver(bot, escalation, asker, caio, text, advice)
    except RelayFailed:
        await _take_back(bot, escalation, advice, was)
        raise
    if reply is not None:
        await _best_effort(bot.react(reply, "white_check_mark"), "react")
    elif escalation.queue_address:
        queue = Address.parse(escalation.queue_address)
        await _best_effort(bot.send(Message(f"Relayed to {asker.name}.", address=queue)), "note")
    failed: list[str] = []
    if not linked and escalation.queue_address:
        for other in await open_for_client(bot, escalation.client_id):
            if other.queue_address == escalation.queue_address and other.id != escalation.id:
                try:
                    await answer_escalation(bot, other, caio, text, linked=True)
                except RelayFailed as exc:
                    failed.append(f"#{other.id}: {exc}")
    return Relayed(advice, detour, tuple(failed))


async def _deliver(
    bot: Bot, escalation: Escalation, asker: Member, caio: Member, text: str, advice: Advice
) -> str | None:
    """Post the answer in the asker's thread, else to the asker directly; None when the
    thread took it, else why it did not."""
    origin = Address.parse(escalation.origin_address)
    answer = Message(
        f"*{caio.name}* (CAIO) answered escalation #{escalation.id}:\n{text}",
        actions=(
            Button("advice.helpful", "Helpful", str(advice.id), "primary"),
            Button("advice.not_helpful", "Not helpful", str(advice.id)),
        ),
    )
    try:
        await bot.send(answer.to(origin))
        return None
    except Exception as exc:
        why = refusal(exc)
        log.warning("relay refused", escalation=escalation.id, exc_info=True)
    adapter = bot.adapters.get(asker.platform)
    if adapter is None:
        raise RelayFailed(f"{why}, and {asker.name} is on {asker.platform}, which is not running")
    note = f"I couldn't post this in the thread where you asked ({why}), so here it is:\n"
    try:
        await adapter.send_direct(
            origin.workspace, asker.user_id, replace(answer, text=note + answer.text)
        )
    except Exception as exc:
        log.warning("relay by direct message refused", escalation=escalation.id, exc_info=True)
        raise RelayFailed(
            f"{why}; a direct message to {asker.name} failed too ({refusal(exc)})"
        ) from exc
    return why


async def _take_back(
    bot: Bot, escalation: Escalation, advice: Advice, was: tuple[EscalationStatus, Any, Any]
) -> None:
    """Undo an answer that reached nobody: the escalation as it was, the advice unlogged."""
    async with bot.db.session() as session:
        row = await session.get(Escalation, escalation.id)
        assert row is not None
        row.status, row.answered_at, row.answer_advice_id = was
        session.add(row)
        await session.flush()
        logged = await session.get(Advice, advice.id)
        if logged is not None:
            await session.delete(logged)
        await session.commit()


async def _best_effort(work: Awaitable[Any], what: str) -> None:
    """A courtesy (the ✅ on the CAIO's reply, a note in the queue) whose failure must not
    stop what follows: the answer has already reached the asker."""
    try:
        await work
    except Exception:
        log.warning("courtesy post failed", what=what, exc_info=True)


async def set_status(bot: Bot, escalation_id: int, status: EscalationStatus) -> Escalation | None:
    return await bot.db.update(Escalation, escalation_id, status=status)


async def open_for_client(bot: Bot, client_id: str) -> list[Escalation]:
    async with bot.db.session() as session:
        rows = await session.exec(
            select(Escalation)
            .where(
                Escalation.client_id == client_id,
                col(Escalation.status) == EscalationStatus.OPEN,
            )
            .order_by(col(Escalation.due_at))
        )
        return list(rows)
