"""Reading and writing schedules: what the commands change and the engine reads.

Every change bumps `changed_at` (so other workers pick it up on their next sweep) and
recomputes `next_fire_at` from the local time and zone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calendar import holiday, local_date, parse_time
from bot.db.models import Client, Member
from bot.db.models_schedule import (
    Blocker,
    CheckInAnswer,
    Prompt,
    PromptMessage,
    Run,
    Schedule,
    ScheduleKind,
)
from bot.events import Address
from scheduler.answers import DEFAULT_QUESTIONS
from scheduler.cadence import Cadence

_LOOKAHEAD = 400  # fires: a daily cadence's year and then some
CADENCE_FIELDS = ("local_time", "timezone", "days", "every_weeks", "anchor_date", "month_day")


def cadence_from(
    local_time: str, tz: str, days: str, every_weeks: int, anchor_date: str, month_day: str
) -> Cadence:
    return Cadence(
        at=parse_time(local_time),
        tz=tz,
        days=days,
        every_weeks=every_weeks,
        anchor=date.fromisoformat(anchor_date) if anchor_date else None,
        month_day=month_day,
    )


def cadence_of(schedule: Schedule) -> Cadence:
    return cadence_from(*(getattr(schedule, name) for name in CADENCE_FIELDS))


def questions_of(schedule: Schedule) -> tuple[str, ...]:
    own = tuple(q for q in schedule.questions.split("\n") if q.strip())
    return own or DEFAULT_QUESTIONS.get(schedule.kind, DEFAULT_QUESTIONS["checkin"])


def skip_dates(schedule: Schedule) -> set[str]:
    return {d for d in schedule.skip_dates.split(",") if d}


def skipped_day(schedule: Schedule, client: Client, day: date) -> str | None:
    """Why a schedule does not run on a local day (paused, a skip date, a public holiday):
    the one rule the engine fires by and early answers are dated by."""
    if schedule.paused:
        return "paused"
    if day.isoformat() in skip_dates(schedule):
        return "skip requested"
    name = holiday(client.country, client.region, day)
    if name:
        where = client.country.upper() if client.country else ""
        where += f"-{client.region}" if client.region else ""
        return f"holiday {name} in {where}"
    return None


def next_running(schedule: Schedule, client: Client, after: datetime) -> datetime | None:
    """The first fire after `after` that will not be skipped; None while paused (or when no
    day in the next year runs)."""
    cadence = cadence_of(schedule)
    moment = cadence.next_after(after)
    for _ in range(_LOOKAHEAD):
        if moment is None or schedule.paused:
            return None
        if skipped_day(schedule, client, local_date(moment, schedule.timezone)) is None:
            return moment
        moment = cadence.next_after(moment)
    return None


def touch(schedule: Schedule, now: datetime) -> Schedule:
    """Mark a schedule changed and recompute its next fire from now."""
    schedule.changed_at = now
    schedule.next_fire_at = cadence_of(schedule).next_after(now)
    return schedule


async def past_days_already_run(session: AsyncSession, schedule: Schedule) -> date | None:
    """Move a just-changed schedule's next fire past a local day that already had its run
    (a new time later the same day must not ask the team twice); that day, if it did."""
    if schedule.id is None or schedule.next_fire_at is None:
        return None
    day = local_date(schedule.next_fire_at, schedule.timezone)
    ran = await session.exec(
        select(Run.id)
        .where(Run.schedule_id == schedule.id, Run.local_date == day.isoformat())
        .limit(1)
    )
    if ran.first() is None:
        return None
    schedule.next_fire_at = cadence_of(schedule).next_after(schedule.next_fire_at)
    return day


async def find(
    session: AsyncSession, client_id: str, kind: ScheduleKind, address: Address
) -> Schedule | None:
    rows = await session.exec(
        select(Schedule).where(
            Schedule.client_id == client_id,
            Schedule.kind == kind,
            Schedule.address == address.root.key,
        )
    )
    return rows.first()


async def for_client(
    session: AsyncSession, client_id: str, kind: ScheduleKind | None = None
) -> list[Schedule]:
    query = select(Schedule).where(Schedule.client_id == client_id)
    if kind is not None:
        query = query.where(Schedule.kind == kind)
    return list(await session.exec(query.order_by(col(Schedule.id))))


async def remove(session: AsyncSession, schedule: Schedule) -> None:
    """Delete a schedule and what hangs off it (prompts and their messages, runs, answers,
    blockers)."""
    runs = select(Run.id).where(Run.schedule_id == schedule.id)
    prompts = select(Prompt.id).where(col(Prompt.run_id).in_(runs))
    await session.exec(delete(PromptMessage).where(col(PromptMessage.prompt_id).in_(prompts)))
    await session.exec(delete(Prompt).where(col(Prompt.run_id).in_(runs)))
    await session.exec(delete(Run).where(col(Run.schedule_id) == schedule.id))
    await session.exec(delete(CheckInAnswer).where(col(CheckInAnswer.schedule_id) == schedule.id))
    await session.exec(delete(Blocker).where(col(Blocker.schedule_id) == schedule.id))
    await session.delete(schedule)
    await session.commit()


async def participants(session: AsyncSession, schedules: list[Schedule]) -> dict[int, list[Member]]:
    """Each schedule's participants: those named at setup, else every member of the client
    on that platform who has used the bot. One query for all schedules."""
    named = {int(i) for s in schedules for i in s.participants.split(",") if i.strip().isdigit()}
    open_clients = {s.client_id for s in schedules if not s.participants.strip()}
    members: list[Member] = []
    ids = sorted(named)
    for start in range(0, len(ids), 500):
        members += list(
            await session.exec(select(Member).where(col(Member.id).in_(ids[start : start + 500])))
        )
    clients = sorted(open_clients)
    for start in range(0, len(clients), 500):
        members += list(
            await session.exec(
                select(Member).where(col(Member.client_id).in_(clients[start : start + 500]))
            )
        )
    by_id = {m.id: m for m in members}
    by_client: dict[str, list[Member]] = {}
    for member in by_id.values():
        by_client.setdefault(member.client_id, []).append(member)
    found: dict[int, list[Member]] = {}
    for s in schedules:
        assert s.id is not None
        platform = Address.parse(s.address).platform
        if s.participants.strip():
            chosen = [by_id[int(i)] for i in s.participants.split(",") if int(i) in by_id]
        else:
            chosen = [m for m in by_client.get(s.client_id, []) if m.platform == platform]
        found[s.id] = sorted(
            (m for m in chosen if m.client_id == s.client_id), key=lambda m: m.name.lower()
        )
    return found
