"""Escalations: a question handed to the CAIO's queue, answered there, relayed back.

The queue conversation may be on another platform than the asker's; the Bot holds every
adapter, so posting to an Address is all this module needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select

from bot.db.engine import LockTimeout
from bot.db.models import (
    Advice,
    AdviceSource,
    Client,
    Escalation,
    EscalationStatus,
    Member,
)
from bot.events import Address
from bot.message import Button, Message, Posted
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


async def open_escalation(
    bot: Bot,
    *,
    client: Client,
    asker: Member,
    question: str,
    origin: Address,
    question_id: int | None = None,
    draft: Advice | None = None,
) -> Escalation:
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
) -> Escalation:
    now = bot.clock.now()
    opened = await open_for_client(bot, client.id)
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
        return await _link(bot, escalation, original, asker)
    if client.queue_address:
        queue = Address.parse(client.queue_address)
        origin_link = await bot.permalink(origin)
        message = queue_message(client, escalation, asker, draft, origin_link)
        root = await bot.send(message.to(queue))
        thread = await bot.open_thread(root, f"#{escalation.id} {shorten(question, 80)}")
        await bot.db.update(Escalation, escalation.id, queue_address=thread.key)
        escalation.queue_address = thread.key
    return escalation


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


async def linked_original(bot: Bot, escalation: Escalation) -> Escalation | None:
    """The earlier escalation whose queue thread this one shares, if it was linked."""
    if escalation.queue_address is None:
        return None
    async with bot.db.session() as session:
        rows = await session.exec(
            select(Escalation)
            .where(
                Escalation.queue_address == escalation.queue_address,
                col(Escalation.id) < (escalation.id or 0),
            )
            .order_by(col(Escalation.id))
        )
        return rows.first()


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


async def by_queue_thread(bot: Bot, thread: Address) -> Escalation | None:
    async with bot.db.session() as session:
        rows = await session.exec(select(Escalation).where(Escalation.queue_address == thread.key))
        return rows.first()


async def answer_escalation(
    bot: Bot,
    escalation: Escalation,
    caio: Member,
    text: str,
    reply: Posted | None = None,
    *,
    linked: bool = False,
) -> Advice:
    """Log the CAIO's answer as advice, relay it to the asker's thread, mark answered; open
    escalations linked to the same queue thread get the same answer."""
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
        row.status = EscalationStatus.ANSWERED
        row.answered_at = bot.clock.now()
        row.answer_advice_id = advice.id
        session.add(row)
        await session.commit()
        await session.refresh(advice)
    origin = Address.parse(escalation.origin_address)
    await bot.send(
        Message(
            f"*{caio.name}* (CAIO) answered escalation #{escalation.id}:\n{text}",
            address=origin,
            actions=(
                Button("advice.helpful", "Helpful", str(advice.id), "primary"),
                Button("advice.not_helpful", "Not helpful", str(advice.id)),
            ),
        )
    )
    if reply is not None:
        await bot.react(reply, "white_check_mark")
    elif escalation.queue_address:
        queue = Address.parse(escalation.queue_address)
        await bot.send(Message(f"Relayed to {asker.name}.", address=queue))
    if not linked and escalation.queue_address:
        for other in await open_for_client(bot, escalation.client_id):
            if other.queue_address == escalation.queue_address and other.id != escalation.id:
                await answer_escalation(bot, other, caio, text, linked=True)
    return advice


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
