"""A member's own page (Slack's App Home): their recent questions and open escalations,
and for the CAIO the open queue with ages and due times. Platform-neutral Messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, or_, select

from bot.db.models import Client, Escalation, EscalationStatus, Question, QuestionStatus, Role
from bot.directory import client_for, member_for
from bot.escalations import format_due
from bot.events import Actor
from bot.message import Button, Message
from bot.permissions import CAIO
from bot.text import shorten

if TYPE_CHECKING:
    from bot.core import Bot

RECENT = 5
QUEUE_LIMIT = 20
WELCOME = (
    "Ask with `/caio ask <question>` or mention me in a thread; "
    "`/caio escalate <question>` goes straight to the CAIO. `/caio help` lists the rest."
)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def _due(client: Client, escalation: Escalation, now: datetime) -> str:
    left = escalation.due_at - now
    when = "due in " + _span(left) if left >= timedelta(0) else "overdue by " + _span(left)
    return f"{format_due(client, escalation)} ({when})"


async def home_for(bot: Bot, workspace: str, actor: Actor) -> list[Message]:
    """What the person sees on their page, most personal first."""
    now = bot.clock.now()
    async with bot.db.session() as session:
        client = await client_for(session, actor.platform, workspace)
        if client is None:
            return [
                Message(
                    "This workspace is not linked to a client yet. "
                    "Your CAIO can link it with `caio-bot clients add`.",
                    title="caio-bot",
                )
            ]
        member = await member_for(session, client.id, actor)
        questions = list(
            await session.exec(
                select(Question)
                .where(Question.client_id == client.id, Question.asker_id == member.id)
                .order_by(col(Question.created_at).desc())
                .limit(RECENT)
            )
        )
        mine = list(
            await session.exec(
                select(Escalation)
                .where(
                    Escalation.client_id == client.id,
                    Escalation.asker_id == member.id,
                    col(Escalation.status) == EscalationStatus.OPEN,
                )
                .order_by(col(Escalation.due_at))
            )
        )
        queue_clients = [client]
        if Role(member.role) in CAIO:
            # a CAIO's own workspace may host the queues of several clients
            prefix = f"{actor.platform}|{workspace}|%"
            hosted = await session.exec(
                select(Client).where(col(Client.queue_address).like(prefix), Client.id != client.id)
            )
            queue_clients.extend(hosted)
    messages = [Message(WELCOME, title=f"caio-bot for {client.name}")]
    messages.append(_questions(questions))
    messages.append(_mine(client, mine, now))
    if Role(member.role) in CAIO:
        messages.extend(await _queue(bot, queue_clients, now))
    return messages


def _questions(questions: list[Question]) -> Message:
    if not questions:
        return Message("You have not asked anything yet.", title="Your recent questions")
    lines = [
        f"• {shorten(q.text, 120)} — "
        f"{'answered' if q.status == QuestionStatus.ANSWERED else 'being answered'}, "
        f"{q.created_at:%d %b}"
        for q in questions
    ]
    return Message("\n".join(lines), title="Your recent questions")


def _mine(client: Client, escalations: list[Escalation], now: datetime) -> Message:
    if not escalations:
        return Message("None open.", title="Your open escalations")
    lines = [f"• #{e.id} {shorten(e.question, 120)} — {_due(client, e, now)}" for e in escalations]
    return Message("\n".join(lines), title="Your open escalations")


async def _queue(bot: Bot, clients: list[Client], now: datetime) -> list[Message]:
    async with bot.db.session() as session:
        rows = list(
            await session.exec(
                select(Escalation)
                .where(
                    or_(*(Escalation.client_id == c.id for c in clients)),
                    col(Escalation.status) == EscalationStatus.OPEN,
                )
                .order_by(col(Escalation.due_at))
                .limit(QUEUE_LIMIT)
            )
        )
    by_id = {c.id: c for c in clients}
    head = Message(
        f"{len(rows)} open{' (oldest due first)' if rows else ''}.", title="Open escalation queue"
    )
    items = [
        Message(
            f"*#{e.id}* {shorten(e.question, 300)}",
            fields=(
                ("Client", by_id[e.client_id].name),
                ("Age", _span(now - e.created_at)),
                ("Due", _due(by_id[e.client_id], e, now)),
            ),
            actions=(Button("escalation.resolve", "Mark resolved", str(e.id)),),
        )
        for e in rows
    ]
    return [head, *items]
