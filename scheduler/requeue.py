"""Escalations that are not in their queue yet: the queue channel refused the post (the
bot removed from it, a Slack outage) or had not been set when they were asked.

Each is posted again every `EVERY` while it is open and its client has a queue, by one
worker (the fire is claimed per escalation and period), after `SETTLE`, so that an
escalation whose first post is still waiting out a rate limit is not posted twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlmodel import col, select

from bot.core import Bot
from bot.db.models import Advice, Client, Escalation, EscalationStatus, Member
from bot.escalations import post_to_queue, refusal
from scheduler.claims import Fire

log = structlog.get_logger(__name__)

JOB = "escalation.queue"
EVERY = timedelta(minutes=10)
SETTLE = timedelta(minutes=5)


async def fires(bot: Bot, now: datetime) -> list[tuple[Fire, Escalation, Client]]:
    """One fire per unqueued open escalation, keyed to the current period."""
    async with bot.db.session() as session:
        rows = await session.exec(
            select(Escalation, Client)
            .join(Client, col(Client.id) == col(Escalation.client_id))
            .where(
                col(Escalation.status) == EscalationStatus.OPEN,
                col(Escalation.queue_address).is_(None),
                col(Client.queue_address).is_not(None),
                col(Escalation.created_at) <= now - SETTLE,
            )
        )
        period = datetime.fromtimestamp(
            now.timestamp() // EVERY.total_seconds() * EVERY.total_seconds(), tz=now.tzinfo
        )
        return [(Fire(c.id, JOB, str(e.id), period), e, c) for e, c in rows]


async def run(bot: Bot, escalation: Escalation, client: Client) -> str:
    """Post it to the queue; what happened, for the fire's record."""
    async with bot.db.session() as session:
        asker = await session.get(Member, escalation.asker_id)
        draft = (
            await session.get(Advice, escalation.draft_advice_id)
            if escalation.draft_advice_id
            else None
        )
    assert asker is not None
    try:
        await post_to_queue(bot, client, escalation, asker, draft)
    except Exception as exc:
        log.warning("escalation still not queued", escalation=escalation.id, exc_info=True)
        return f"not queued: {refusal(exc)}"
    log.info("escalation queued late", escalation=escalation.id)
    return "queued"
