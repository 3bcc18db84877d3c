"""Follow-ups on open work: stand-up blockers left open too long go to the CAIO, and
escalations are nudged in the queue thread before their due time and flagged after it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.core import Bot
from bot.db.models import Client, Escalation, EscalationStatus, Member
from bot.db.models_schedule import Blocker, BlockerStatus, Schedule
from bot.escalations import format_due, open_escalation
from bot.events import Address
from bot.message import Message
from bot.sla import NUDGE_LEAD, nudge_at
from bot.text import shorten
from scheduler.claims import Fire

OVERDUE = "sla.overdue"
NUDGE = "sla.nudge"
BLOCKER = "blocker"


async def stale_blockers(bot: Bot, now: datetime) -> list[tuple[Fire, Blocker]]:
    """Open blockers older than their schedule's limit, as fires to claim."""
    async with bot.db.session() as session:
        rows = await session.exec(
            select(Blocker, Schedule)
            .join(Schedule, col(Schedule.id) == col(Blocker.schedule_id))
            .where(Blocker.status == BlockerStatus.OPEN, Blocker.client_id == Schedule.client_id)
        )
        found = []
        for blocker, schedule in rows:
            due = blocker.opened_at + timedelta(hours=schedule.blocker_hours)
            if due <= now:
                fire = Fire(blocker.client_id, BLOCKER, str(blocker.id), blocker.opened_at)
                found.append((fire, blocker))
        return found


async def escalate_blocker(bot: Bot, blocker: Blocker, now: datetime) -> str:
    """Open an escalation for the blocker (once: a retry after the channel was not told
    finds it) and tell the channel."""
    async with bot.db.session() as session:
        client = await session.get(Client, blocker.client_id)
        owner = await session.get(Member, blocker.member_id)
        schedule = await session.get(Schedule, blocker.schedule_id)
        done = await session.get(Escalation, blocker.escalation_id or 0)
    assert client is not None and owner is not None and schedule is not None
    age = (now - blocker.opened_at).total_seconds() / 3600
    channel = Address.parse(schedule.address)
    escalation = done or await _escalate(bot, blocker, client, owner, channel, age)
    await bot.send(
        Message(
            f"{owner.name}'s blocker “{shorten(blocker.text, 160)}” has been open {age:.0f}h; "
            f"escalated to the CAIO as #{escalation.id} (due {format_due(client, escalation)}).",
            address=channel,
        )
    )
    return f"escalated as #{escalation.id}"


async def _escalate(
    bot: Bot, blocker: Blocker, client: Client, owner: Member, channel: Address, age: float
) -> Escalation:
    opened = await open_escalation(
        bot,
        client=client,
        asker=owner,
        question=f"Stand-up blocker of {owner.name}, open {age:.0f}h: {blocker.text}",
        origin=channel,
    )
    escalation = opened.escalation
    async with bot.db.session() as session:
        row = await session.get(Blocker, blocker.id)
        if row is not None:
            row.status, row.escalation_id = BlockerStatus.ESCALATED, escalation.id
            session.add(row)
            await session.commit()
    return escalation


async def sla_fires(bot: Bot, now: datetime) -> list[tuple[Fire, Escalation, Client]]:
    """Nudges due before the due time, overdue flags after it, for open escalations."""
    async with bot.db.session() as session:
        rows = await session.exec(
            select(Escalation, Client)
            .join(Client, col(Client.id) == col(Escalation.client_id))
            .where(
                Escalation.status == EscalationStatus.OPEN,
                col(Escalation.due_at) <= now + NUDGE_LEAD,
            )
        )
        found = []
        for escalation, client in rows:
            ref = str(escalation.id)
            if escalation.due_at <= now:
                found.append((Fire(client.id, OVERDUE, ref, escalation.due_at), escalation, client))
            elif nudge_at(escalation.created_at, escalation.due_at) <= now:
                when = nudge_at(escalation.created_at, escalation.due_at)
                found.append((Fire(client.id, NUDGE, ref, when), escalation, client))
        return found


async def sla_send(bot: Bot, fire: Fire, escalation: Escalation, client: Client) -> str:
    if not escalation.queue_address:
        return "no queue thread to nudge in"
    due = format_due(client, escalation)
    if fire.job == NUDGE:
        text = (
            f"Nudge: escalation #{escalation.id} is due by {due} (office hours). "
            f"Reply here or `/caio answer {escalation.id} <text>`."
        )
    else:
        text = (
            f"⚠️ Overdue: escalation #{escalation.id} was due by {due} and is still open. "
            f"The asker is waiting; reply here or `/caio answer {escalation.id} <text>`."
        )
    await bot.send(Message(text, address=Address.parse(escalation.queue_address)))
    return "nudged" if fire.job == NUDGE else "flagged overdue"
