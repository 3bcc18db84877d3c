"""A question's life: stored first, answered in its own thread, logged as advice.

The question is committed before any model call, so a crash or restart never loses it:
`resume_pending` finishes whatever was still pending when the process stopped, and
`adopt_orphans` (after every heartbeat, in every process) what a process that died
mid-answer was holding. Whoever finishes an answer puts it in place of the "Thinking…"
the first attempt posted.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_fixed,
)

from bot.adapter import DeliveryError
from bot.advisor.offline import EXTRACTIVE
from bot.advisor.passages import Passage
from bot.advisor.prompt import without_citations
from bot.advisor.redact import redact
from bot.advisor.retrieval import load_passages
from bot.advisor.service import DEGRADED, Draft
from bot.db.models import Advice, AdviceSource, Client, Member, Question, QuestionStatus
from bot.events import Address
from bot.liveness import gone
from bot.message import Button, Message, Posted
from bot.metrics import ANSWER_SECONDS
from bot.text import shorten

if TYPE_CHECKING:
    from bot.core import Bot

log = structlog.get_logger(__name__)

STREAM_INTERVAL = 1.0  # seconds between live updates: well inside Slack's and Discord's limits


def feedback_buttons(advice_id: int | None, question_id: int | None) -> tuple[Button, ...]:
    buttons: list[Button] = []
    if advice_id is not None:
        buttons += [
            Button("advice.helpful", "Helpful", str(advice_id), "primary"),
            Button("advice.not_helpful", "Not helpful", str(advice_id)),
        ]
    if question_id is not None:
        buttons.append(Button("question.escalate", "Escalate", str(question_id), "danger"))
    return tuple(buttons)


def sources_notes(cited: tuple[Passage, ...]) -> tuple[str, ...]:
    if not cited:
        return ()
    return ("Sources: " + "  ".join(f"[{n}] {p.citation()}" for n, p in enumerate(cited, 1)),)


def answer_message(draft: Draft, advice_id: int | None, question_id: int) -> Message:
    text = draft.text
    if draft.asked_before is not None:
        before = draft.asked_before
        text = (
            f"*Asked before* — {before.citation()}:\n> {shorten(before.title, 200)}\n"
            f"{shorten(without_citations(before.text), 600)}\n\n{text}"
        )
    notes = sources_notes(draft.cited)
    if draft.degraded:
        notes = (DEGRADED, *notes)
    if not draft.found:
        notes = (*notes, "Nothing relevant found: escalate and the CAIO will answer.")
    elif not draft.cited:
        notes = (*notes, "This answer cites no source: escalate if it matters.")
    return Message(text, notes=notes, actions=feedback_buttons(advice_id, question_id))


async def record_question(
    bot: Bot, client: Client, asker: Member, text: str, origin: Address
) -> Question:
    """Store the (redacted) question before anything slow happens."""
    question = Question(
        client_id=client.id,
        asker_id=asker.id or 0,
        text=redact(text.strip()),
        origin_address=origin.key,
        created_at=bot.clock.now(),
    )
    async with bot.db.session() as session:
        session.add(question)
        await session.commit()
        await session.refresh(question)
    return question


async def open_question_thread(bot: Bot, question: Question, asker: Member) -> Address:
    """Slash commands carry no thread: post the question and answer under it."""
    origin = Address.parse(question.origin_address)
    if origin.thread is not None:
        thread = origin
    else:
        root = await bot.send(
            Message(f"*{asker.name}* asked: {shorten(question.text, 2500)}", address=origin)
        )
        thread = await bot.open_thread(root, shorten(question.text, 90))
    await bot.db.update(Question, question.id, thread_address=thread.key)
    question.thread_address = thread.key
    return thread


def _throttled(bot: Bot, posted: Posted) -> Callable[[str], Awaitable[None]]:
    """Live updates of a streaming answer, at most one a `STREAM_INTERVAL`. They are a
    courtesy: one the platform refuses (the placeholder deleted, a rate limit) stops the
    updates, never the answer."""
    last = 0.0
    stopped = False

    async def on_text(text: str) -> None:
        nonlocal last, stopped
        if stopped or time.monotonic() - last < STREAM_INTERVAL:
            return
        last = time.monotonic()
        try:
            await bot.update(posted, Message(text + " …"))
        except Exception:
            stopped = True
            log.warning("live updates stopped", exc_info=True)

    return on_text


async def _replace(bot: Bot, placeholder: Posted, message: Message) -> None:
    """The finished answer in place of "Thinking…", or below it when that message can no
    longer be edited (deleted, say)."""
    try:
        await bot.update(placeholder, message)
    except DeliveryError as exc:
        log.warning("placeholder gone, posting the answer anew", error=str(exc))
        await bot.send(message)


def claim_lease(bot: Bot) -> timedelta:
    """How long a claim holds: the longest a model call can take, with retries, plus slack."""
    settings = bot.settings
    return timedelta(seconds=settings.llm_timeout * (settings.llm_max_retries + 1) + 60)


async def claim(bot: Bot, question_id: int) -> bool:
    """Take a pending question for this process, so that processes starting together, or one
    starting while another still drafts, never answer twice. A claim whose process is gone
    (`bot.liveness`) may be taken over at once; one older than the lease is a platform
    outage's, taken over by redelivery."""
    now = bot.clock.now()
    async with bot.db.session() as session:
        result = await session.exec(
            update(Question)
            .where(
                col(Question.id) == question_id,
                col(Question.status) == QuestionStatus.PENDING,
                or_(
                    col(Question.claimed_at).is_(None),
                    col(Question.claimed_at) < now - claim_lease(bot),
                    and_(
                        col(Question.claimed_by).is_not(None),
                        gone(col(Question.claimed_by), now),
                    ),
                ),
            )
            .values(claimed_at=now, claimed_by=bot.liveness.process)
        )
        await session.commit()
    return bool(result.rowcount == 1)


async def answer_question(bot: Bot, question_id: int, history: tuple[str, ...] = ()) -> None:
    """Draft, log and post the answer to a stored question (once, whoever calls)."""
    if not await claim(bot, question_id):
        return
    async with bot.db.session() as session:
        question = await session.get(Question, question_id)
        if question is None:
            return
        client = await session.get(Client, question.client_id)
        asker = await session.get(Member, question.asker_id)
    assert client is not None and asker is not None
    # Stored just before a crash, before its thread was opened: open it now.
    thread = (
        Address.parse(question.thread_address)
        if question.thread_address
        else await open_question_thread(bot, question, asker)
    )
    # A process that died mid-answer left its "Thinking…" behind: this answer goes there.
    placeholder = Posted.parse(question.placeholder) if question.placeholder else None
    streams = bot.adapter_for(thread).live_updates and bot.advisor.llm is not None
    if placeholder is None and streams:
        placeholder = await bot.send(Message("Thinking…", address=thread))
        await bot.db.update(Question, question_id, placeholder=placeholder.key)
    on_text = _throttled(bot, placeholder) if placeholder is not None and streams else None
    stored = await _stored_draft(bot, question)
    advice_id: int | None
    if stored is not None:
        draft, advice_id = stored
    else:
        draft = await bot.advisor.draft(
            client, question.text, history=history, on_text=on_text, now=bot.clock.now()
        )
        if not await _still_ours(bot, question_id):
            log.warning("question taken over while drafting; not answering", question=question_id)
            return
        advice_id = await _log_advice(bot, question, asker, draft)
    message = answer_message(draft, advice_id, question_id).to(thread)
    if placeholder is not None:
        await _replace(bot, placeholder, message)
    else:
        await bot.send(message)
    await _mark_answered(bot, question_id)
    waited = (bot.clock.now() - question.created_at).total_seconds()
    how = "redelivered" if stored is not None else draft.model or "offline"
    ANSWER_SECONDS.labels(how).observe(max(waited, 0.0))


async def _still_ours(bot: Bot, question_id: int) -> bool:
    """Whether this process still holds the question after a model call: it does not when
    its heartbeats stopped reaching the database long enough for another to take over, and
    then that one's answer is the one posted."""
    async with bot.db.session() as session:
        question = await session.get(Question, question_id)
    return (
        question is not None
        and question.status == QuestionStatus.PENDING
        and question.claimed_by == bot.liveness.process
    )


async def _stored_draft(bot: Bot, question: Question) -> tuple[Draft, int] | None:
    """The answer an earlier attempt drafted and logged but could not deliver (the platform
    was down): deliver that one, so the log holds the advice once."""
    async with bot.db.session() as session:
        advice = (
            await session.exec(
                select(Advice).where(
                    Advice.question_id == question.id, Advice.source == AdviceSource.AI
                )
            )
        ).first()
        if advice is None or advice.id is None:
            return None
        cited = await load_passages(session, question.client_id, advice.sources.split())
    return Draft(advice.answer, tuple(cited)), advice.id


async def _log_advice(bot: Bot, question: Question, asker: Member, draft: Draft) -> int | None:
    if not draft.found:
        return None
    advice = Advice(
        client_id=question.client_id,
        question=question.text,
        answer=draft.text,
        source=AdviceSource.AI,
        author=EXTRACTIVE if draft.model is None else f"AI ({draft.model})",
        mentee_id=asker.id,
        mentee_name=asker.name,
        sources=" ".join(p.id for p in draft.cited),
        question_id=question.id,
        created_at=bot.clock.now(),
    )
    async with bot.db.session() as session:
        session.add(advice)
        await session.commit()
        await session.refresh(advice)
    return advice.id


# A database restart takes seconds: the status write is retried for ~8 s before the
# handler returns, then in the background while the claim's lease keeps redelivery off.
_MARK_WAIT = wait_exponential(multiplier=0.25, max=4)
_MARK_LATER_WAIT = wait_fixed(5)
_DB_DOWN = retry_if_exception_type((SQLAlchemyError, OSError))


async def _mark_answered(bot: Bot, question_id: int) -> None:
    """Record a delivered answer. The answer has arrived, so a database that will not take
    the write is logged, not apologised for; the write goes on in the background, since a
    question left pending past its lease is posted again by redelivery."""
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(6), wait=_MARK_WAIT, retry=_DB_DOWN, reraise=True
        ):
            with attempt:
                await _set_answered(bot, question_id)
    except Exception:
        log.error("answer delivered, status not stored yet", question=question_id, exc_info=True)
        bot.spawn(_mark_later(bot, question_id), name=f"mark-answered-{question_id}")


async def _mark_later(bot: Bot, question_id: int) -> None:
    lease = claim_lease(bot).total_seconds()
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(lease), wait=_MARK_LATER_WAIT, retry=_DB_DOWN, reraise=True
        ):
            with attempt:
                await _set_answered(bot, question_id)
    except Exception:
        log.error(
            "answer delivered but never marked answered; redelivery may post it again",
            question=question_id,
            exc_info=True,
        )
        return
    log.info("delivered answer marked answered late", question=question_id)


async def _set_answered(bot: Bot, question_id: int) -> None:
    await bot.db.update(
        Question, question_id, status=QuestionStatus.ANSWERED, answered_at=bot.clock.now()
    )


async def resume_pending(bot: Bot) -> int:
    """Finish questions a previous process stored but did not answer (at start: `claim`
    leaves those a live process is answering alone)."""
    return await _answer_all(bot, "resuming pending questions", "resume")


async def adopt_orphans(bot: Bot) -> int:
    """Finish questions whose process died mid-answer, in seconds rather than after the
    claim's lease (after each heartbeat, so a running process does it too)."""
    orphaned = and_(
        col(Question.claimed_by).is_not(None),
        gone(col(Question.claimed_by), bot.clock.now()),
    )
    return await _answer_all(bot, "taking over questions of a dead process", "adopt", orphaned)


async def _answer_all(bot: Bot, why: str, name: str, *where: ColumnElement[bool]) -> int:
    async with bot.db.session() as session:
        pending = await session.exec(
            select(Question).where(Question.status == QuestionStatus.PENDING, *where)
        )
        ids = [
            q.id
            for q in pending
            if q.id is not None
            and Address.parse(q.thread_address or q.origin_address).platform in bot.adapters
        ]
    for qid in ids:
        bot.spawn(answer_question(bot, qid), name=f"{name}-question-{qid}")
    if ids:
        log.info(why, count=len(ids))
    return len(ids)
