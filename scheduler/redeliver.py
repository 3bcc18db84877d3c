"""Answers the platform would not take: a pending question whose answering attempt ended
without delivery (its claim's lease ran out; its thread may not even be open) goes back to
the core's answering path, at most once a minute across all workers and `ATTEMPTS` times
in all; then the asker is told and the question kept (pending, its draft logged once)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlmodel import col, func, select

from bot.answering import answer_question, claim_lease
from bot.core import Bot
from bot.db.models import Member, Question, QuestionStatus
from bot.db.models_schedule import FireClaim
from bot.events import Address
from bot.message import Message
from bot.text import shorten
from scheduler.claims import Fire, note

log = structlog.get_logger(__name__)

ATTEMPTS = 3
RETRY = "answer.retry"
GIVE_UP = "answer.giveup"


async def fires(bot: Bot, now: datetime) -> list[tuple[Fire, Question]]:
    """One fire per stranded question: a retry keyed to this minute (so workers waking in
    the same minute share it), or, once the attempts are used up, the give-up."""
    stale = now - claim_lease(bot)
    async with bot.db.session() as session:
        stranded = [
            q
            for q in await session.exec(
                select(Question).where(
                    Question.status == QuestionStatus.PENDING,
                    sa.func.coalesce(col(Question.claimed_at), col(Question.created_at)) < stale,
                )
            )
            if Address.parse(q.thread_address or q.origin_address).platform in bot.adapters
        ]
        refs = [str(q.id) for q in stranded]
        tried: dict[str, int] = {}
        for job, ref, count in await session.exec(
            select(FireClaim.job, FireClaim.ref, func.count())
            .where(col(FireClaim.job).in_((RETRY, GIVE_UP)), col(FireClaim.ref).in_(refs))
            .group_by(col(FireClaim.job), col(FireClaim.ref))
        ):
            tried[f"{job}:{ref}"] = count
        # A retry claimed but not finished (another worker's, in this same sweep): giving
        # up now would tell the asker while its attempt may still get through.
        in_flight = set(
            await session.exec(
                select(FireClaim.ref).where(
                    FireClaim.job == RETRY,
                    col(FireClaim.ref).in_(refs),
                    FireClaim.reason == "",
                    col(FireClaim.claimed_at) >= stale,
                )
            )
        )
    minute = now.replace(second=0, microsecond=0)
    found = []
    for question in stranded:
        ref = str(question.id)
        if tried.get(f"{GIVE_UP}:{ref}") or ref in in_flight:
            continue
        if tried.get(f"{RETRY}:{ref}", 0) < ATTEMPTS:
            found.append((Fire(question.client_id, RETRY, ref, minute), question))
        else:
            found.append((Fire(question.client_id, GIVE_UP, ref, question.created_at), question))
    return found


async def run(bot: Bot, fire: Fire, question: Question) -> None:
    """Carry out a claimed fire and record what happened on it."""
    assert question.id is not None
    if fire.job == GIVE_UP:
        await note(bot.db, fire, await _give_up(bot, question))
        return
    try:
        await answer_question(bot, question.id)
    except Exception as error:  # the platform is still down: the next attempt is due later
        log.warning("answer still not delivered", question=question.id, exc_info=True)
        await note(bot.db, fire, f"attempt failed: {shorten(repr(error), 300)}")
        return
    async with bot.db.session() as session:
        row = await session.get(Question, question.id)
    done = row is not None and row.status == QuestionStatus.ANSWERED
    await note(bot.db, fire, "delivered" if done else "not delivered: another process holds it")


async def _give_up(bot: Bot, question: Question) -> str:
    """Tell the asker (a direct message, else a mention where they asked) and keep the
    question; the reason names whether they could be told."""
    async with bot.db.session() as session:
        asker = await session.get(Member, question.asker_id)
    reason = f"gave up after {ATTEMPTS} delivery attempts; question kept"
    log.error("answer could not be delivered", question=question.id, attempts=ATTEMPTS)
    if asker is None:
        return reason + "; asker unknown"
    origin = Address.parse(question.origin_address)
    text = (
        f"Sorry {asker.name}: I could not deliver my answer to your question "
        f"“{shorten(question.text, 160)}” ({ATTEMPTS} attempts failed). Your question is "
        "kept: ask again later, or `/caio escalate …` to bring it to the CAIO."
    )
    adapter = bot.adapters.get(asker.platform)
    if adapter is not None:
        try:
            await adapter.send_direct(origin.workspace, asker.user_id, Message(text))
            return reason + "; asker told by direct message"
        except Exception:
            log.warning("asker not reachable directly", question=question.id, exc_info=True)
    try:
        await bot.send(Message(f"@{asker.name} {text}", address=origin))
        return reason + f"; asker told in {origin.channel}"
    except Exception:
        log.warning("asker not reachable", question=question.id, exc_info=True)
        return reason + "; asker could not be reached"
