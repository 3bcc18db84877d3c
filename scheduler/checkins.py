"""Stand-ups and other check-ins: prompting participants, taking answers, reminding those
who have not answered, and the summary at window close.

Everything here is called with an explicit `now` after the fire was claimed (see
`scheduler/claims.py`), so it is tested with a controllable clock and runs once however
many workers there are.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.adapter import DeliveryError
from bot.calendar import in_quiet_hours, local_date, zone
from bot.core import Bot
from bot.db.models import Client, Member
from bot.db.models_schedule import (
    Away,
    Blocker,
    BlockerStatus,
    CheckInAnswer,
    Prompt,
    PromptMessage,
    Report,
    Run,
    Schedule,
    ScheduleKind,
)
from bot.events import Address
from bot.message import Message, Posted
from bot.text import shorten
from scheduler import answers
from scheduler.claims import failure, in_time
from scheduler.store import next_running, participants, questions_of

log = structlog.get_logger(__name__)

LABEL = {ScheduleKind.STANDUP: "Stand-up", ScheduleKind.CHECKIN: "Check-in"}
SENDS_AT_ONCE = 64
_RUN, _PROMPT = Run.__table__, Prompt.__table__  # type: ignore[attr-defined]


def label(schedule: Schedule) -> str:
    return LABEL.get(schedule.kind, "Check-in")


def day_name(day: date, today: date | None = None) -> str:
    """`Wed 25 Nov`; given `today`, with the year when it is another year's (a date someone
    typed may be far off, where a run's own day never is)."""
    return f"{day:%a %d %b}" + (f" {day.year}" if today and day.year != today.year else "")


def closing_time(fire_at: datetime, closes_at: datetime, tz: str) -> str:
    """When a window closes, in the schedule's zone: with its day when that is not the day
    it opened (a 1-day window closes at the time it opened), and if the clocks change inside
    the window it says so, so that 02:30 → 02:00 is not read as closing before it opened."""
    opened, closes = fire_at.astimezone(zone(tz)), closes_at.astimezone(zone(tz))
    day = "" if closes.date() == opened.date() else f"{day_name(closes.date())} "
    change = (closes.utcoffset() or timedelta()) - (opened.utcoffset() or timedelta())
    if not change:
        return f"{day}{closes:%H:%M} {tz}"
    way = "back" if change < timedelta() else "forward"
    return f"{day}{closes:%H:%M} {tz} ({closes:%Z}: the clocks go {way} in between)"


@dataclass
class Plan:
    """Who a fire prompts, and who it leaves out and why (recorded for `why`)."""

    schedule: Schedule
    client: Client
    fire_at: datetime
    day: date
    prompt: list[Member] = field(default_factory=list)
    away: list[str] = field(default_factory=list)
    early: list[Member] = field(default_factory=list)

    def reason(self) -> str:
        tz = self.schedule.timezone
        at = self.fire_at.astimezone(zone(tz))
        text = f"sent {self.day.isoformat()} {at:%H:%M} {tz}: prompted " + (
            ", ".join(m.name for m in self.prompt) or "nobody"
        )
        if self.early:
            text += "; answered early: " + ", ".join(m.name for m in self.early)
        if self.away:
            text += "; out of office: " + ", ".join(self.away)
        return text


async def plan(session: AsyncSession, fires: list[tuple[Schedule, Client, datetime]]) -> list[Plan]:
    """Participants, minus those away, minus those who answered early; one query per kind
    of row for the whole batch."""
    schedules = [s for s, _, _ in fires]
    people = await participants(session, schedules)
    member_ids = sorted({m.id for ms in people.values() for m in ms if m.id is not None})
    away = await _away(session, member_ids)
    early = await _answered(session, [s.id for s in schedules if s.id is not None])
    plans = []
    for schedule, client, fire_at in fires:
        assert schedule.id is not None
        day = local_date(fire_at, schedule.timezone)
        found = Plan(schedule, client, fire_at, day)
        for member in people[schedule.id]:
            own_day = local_date(fire_at, member.timezone or schedule.timezone).isoformat()
            if any(a.start <= own_day <= a.end for a in away.get(member.id or 0, [])):
                found.away.append(member.name)
            elif (schedule.id, member.id, day.isoformat()) in early:
                found.early.append(member)
            else:
                found.prompt.append(member)
        plans.append(found)
    return plans


async def _away(session: AsyncSession, member_ids: list[int]) -> dict[int, list[Away]]:
    found: dict[int, list[Away]] = {}
    for start in range(0, len(member_ids), 500):
        rows = await session.exec(
            select(Away).where(col(Away.member_id).in_(member_ids[start : start + 500]))
        )
        for row in rows:
            found.setdefault(row.member_id, []).append(row)
    return found


async def _answered(session: AsyncSession, schedule_ids: list[int]) -> set[tuple[int, int, str]]:
    found: set[tuple[int, int, str]] = set()
    for start in range(0, len(schedule_ids), 500):
        rows = await session.exec(
            select(
                CheckInAnswer.schedule_id, CheckInAnswer.member_id, CheckInAnswer.for_date
            ).where(col(CheckInAnswer.schedule_id).in_(schedule_ids[start : start + 500]))
        )
        found.update((s, m, d) for s, m, d in rows)
    return found


def reminder_times(run: Run, schedule: Schedule) -> list[datetime]:
    return _slots(run.fire_at, run.closes_at, schedule.reminders)


def _slots(fire_at: datetime, closes_at: datetime, reminders: int) -> list[datetime]:
    """Reminders spread evenly through the answer window, none at its very end."""
    window = closes_at - fire_at
    count = max(0, reminders)
    return [fire_at + window * i / (count + 1) for i in range(1, count + 1)]


def _next_action(run: Run, schedule: Schedule) -> datetime | None:
    if run.summarised_at is not None:
        return None
    slots = reminder_times(run, schedule)
    return slots[run.reminders_done] if run.reminders_done < len(slots) else run.closes_at


@dataclass
class Started:
    """A claimed fire's run, written in the claim's transaction; filled in as it is sent."""

    plan: Plan
    run_id: int
    closes_at: datetime
    thread: str | None = None
    reply_keys: dict[int, str] = field(default_factory=dict)  # member id → where replies arrive
    posted: dict[int, Posted] = field(default_factory=dict)  # member id → prompt sent now
    error: str = ""  # why the kick-off or a prompt did not go out

    def failure(self) -> str:
        """What did not go out, for the fire's record (`why`)."""
        p = self.plan
        at = p.fire_at.astimezone(zone(p.schedule.timezone))
        missed = [m.name for m in p.prompt if (m.id or 0) not in self.reply_keys]
        what = "the kick-off" if self.thread is None else ""
        if missed:
            what += (" and " if what else "") + "the prompts to " + ", ".join(missed)
        when = f"{p.day.isoformat()} {at:%H:%M} {p.schedule.timezone}"
        return f"not sent {when}: {what} failed ({self.error})"


class NotSent(Exception):
    """A run's kick-off or prompts failed again; the message is the fire's record."""


async def write_runs(conn: AsyncConnection, plans: list[Plan]) -> list[Started]:
    """Insert the runs and prompt rows of claimed fires as plain rows (no ORM objects: a busy
    minute writes thousands); prompts go as one pipelined executemany."""
    if not plans:
        return []
    rows = []
    for p in plans:
        closes = p.fire_at + timedelta(minutes=p.schedule.window_minutes)
        slots = _slots(p.fire_at, closes, p.schedule.reminders)
        rows.append(
            {
                "client_id": p.client.id,
                "schedule_id": p.schedule.id,
                "fire_at": p.fire_at,
                "local_date": p.day.isoformat(),
                "closes_at": closes,
                "thread_address": None,
                "reminders_done": 0,
                "next_action_at": slots[0] if slots else closes,
                "summarised_at": None,
            }
        )
    ids = await conn.execute(
        sa.insert(_RUN).returning(_RUN.c.id, sort_by_parameter_order=True), rows
    )
    started = [
        Started(p, run_id, p.fire_at + timedelta(minutes=p.schedule.window_minutes))
        for p, (run_id,) in zip(plans, ids.all(), strict=True)
    ]
    prompts = [
        {
            "client_id": s.plan.client.id,
            "run_id": s.run_id,
            "member_id": m.id,
            "reply_key": "",
            "sent_at": None,
            "reminders_sent": 0,
        }
        for s in started
        for m in s.plan.prompt
    ]
    if prompts:
        await conn.execute(sa.insert(_PROMPT), prompts)
    return started


async def send_runs(
    bot: Bot, started: list[Started], gate: asyncio.Semaphore, by: float | None = None
) -> None:
    """Send each run's kick-off and prompts concurrently (as many at once as `gate` lets
    through), cut off at `by`; `record_sent` then stores where they went."""

    async def send(s: Started) -> None:
        async with in_time(by), gate:
            await _send_run(bot, s)

    results = await asyncio.gather(*(send(s) for s in started), return_exceptions=True)
    for s, result in zip(started, results, strict=True):
        if isinstance(result, BaseException):
            log.error("check-in prompts failed", schedule=s.plan.schedule.id, error=repr(result))
            s.error = failure(result)


async def send_again(
    bot: Bot, schedule: Schedule, client: Client, fire_at: datetime, now: datetime
) -> str:
    """A claimed run whose kick-off or prompts failed: send what did not go out (the
    kick-off if it is not posted, the prompts not yet reached) and store where it went."""
    async with bot.db.session() as session:
        run = (
            await session.exec(
                select(Run).where(Run.schedule_id == schedule.id, Run.fire_at == fire_at)
            )
        ).first()
        if run is None or run.id is None:
            return "not sent: its run was removed"
        prompts = list(await session.exec(select(Prompt).where(Prompt.run_id == run.id)))
        members = list(
            await session.exec(
                select(Member)
                .where(col(Member.id).in_([p.member_id for p in prompts]))
                .order_by(col(Member.id))
            )
        )
        (made,) = await plan(session, [(schedule, client, fire_at)])
    answered = {m.id for m in made.early}
    made.prompt = [m for m in members if m.id not in answered]  # those the fire asked
    s = Started(made, run.id, run.closes_at, thread=run.thread_address)
    s.reply_keys = {p.member_id: p.reply_key for p in prompts if p.reply_key}
    try:
        await send_runs(bot, [s], asyncio.Semaphore(1))
    finally:  # cut off too (the retry's time bound): what went out is not sent again
        await record_sent(bot, [s], now)
    if s.error:
        raise NotSent(s.failure())
    return made.reason()


async def record_sent(bot: Bot, started: list[Started], now: datetime) -> None:
    """Where each run's thread and each prompt went, which is where replies arrive: written
    once the batch is out, so that it does not hold up the last prompts."""
    async with bot.db.session() as session:
        conn = await session.connection()
        await conn.execute(
            sa.update(_RUN)
            .where(_RUN.c.id == sa.bindparam("run"))
            .values(thread_address=sa.bindparam("thread")),
            [{"run": s.run_id, "thread": s.thread} for s in started],
        )
        reached = [(s.run_id, m, key) for s in started for m, key in s.reply_keys.items()]
        if reached:
            await conn.execute(
                sa.update(_PROMPT)
                .where(
                    _PROMPT.c.run_id == sa.bindparam("run"),
                    _PROMPT.c.member_id == sa.bindparam("member"),
                )
                .values(reply_key=sa.bindparam("key"), sent_at=now),
                [{"run": r, "member": m, "key": k} for r, m, k in reached],
            )
        sent = {(s.run_id, m): posted for s in started for m, posted in s.posted.items()}
        if sent:
            prompts = await conn.execute(
                sa.select(_PROMPT.c.id, _PROMPT.c.run_id, _PROMPT.c.member_id).where(
                    _PROMPT.c.run_id.in_({run for run, _ in sent})
                )
            )
            await _record_messages(
                conn, [(i, sent[r, m]) for i, r, m in prompts if (r, m) in sent], now
            )
        await session.commit()


async def _record_messages(
    conn: AsyncConnection, messages: list[tuple[int, Posted]], now: datetime
) -> None:
    """Which prompt each message asks for (by prompt id), so a Reply to it finds its team.
    A message id seen before (the console numbers its messages afresh each run) is now
    this prompt's."""
    if not messages:
        return
    insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(PromptMessage.__table__)  # type: ignore[attr-defined]
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["platform", "channel", "message_id"],
            set_={"prompt_id": statement.excluded.prompt_id, "sent_at": statement.excluded.sent_at},
        ),
        [
            {
                "platform": posted.address.platform,
                "channel": posted.address.channel,
                "message_id": posted.message_id,
                "prompt_id": prompt_id,
                "sent_at": now,
            }
            for prompt_id, posted in messages
        ],
    )


async def _send_run(bot: Bot, s: Started) -> None:
    """The kick-off, unless it is out already, and the prompts not yet sent."""
    p = s.plan
    channel = Address.parse(p.schedule.address)
    closes = closing_time(p.fire_at, s.closes_at, p.schedule.timezone)
    if s.thread is None:
        await _kick_off(bot, s, channel, closes)
    thread = Address.parse(s.thread or "")
    questions = questions_of(p.schedule)
    text = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, start=1))
    for member in p.prompt:
        if (member.id or 0) in s.reply_keys:
            continue
        message = Message(
            f"Hi {member.name}!\n{text}",
            title=f"{label(p.schedule)} · {p.client.name} · #{channel.channel} · {day_name(p.day)}",
            notes=(
                f"Reply here ({answers.hint(questions)}), or "
                f"`/caio {p.schedule.kind} answer …`. Open until {closes}.",
            ),
        )
        posted = await _reach(bot, member, message, thread)
        s.reply_keys[member.id or 0] = _reply_key(posted)
        s.posted[member.id or 0] = posted


async def _kick_off(bot: Bot, s: Started, channel: Address, closes: str) -> None:
    p = s.plan
    kickoff = Message(
        f"*{label(p.schedule)}* for {day_name(p.day)}: asking "
        + (", ".join(m.name for m in p.prompt) or "nobody")
        + f". Answers until {closes}"
        + ("; the summary will be in this thread." if p.schedule.report == Report.THREAD else "."),
        address=channel,
    )
    root = await bot.send(kickoff)
    thread = await bot.open_thread(root, f"{label(p.schedule)} {p.day.isoformat()}")
    s.thread = thread.key


async def _reach(bot: Bot, member: Member, message: Message, thread: Address) -> Posted:
    """A direct message where the platform allows, else a mention in the run's thread."""
    adapter = bot.adapter_for(thread)
    try:
        return await adapter.send_direct(thread.workspace, member.user_id, message)
    except DeliveryError as error:
        log.info("direct message refused; using the thread", member=member.id, error=str(error))
        return await bot.send(
            Message(f"@{member.name} {message.text}", title=message.title, notes=message.notes).to(
                thread
            )
        )


def _reply_key(posted: Posted) -> str:
    """Replies to a DM arrive anywhere in that DM; replies to a thread prompt in the thread."""
    return posted.address.key if posted.address.thread else posted.address.root.key


# -- answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    for_date: date
    early: bool
    blocker: str | None
    cleared: int


async def open_run(session: AsyncSession, schedule: Schedule, now: datetime) -> Run | None:
    rows = await session.exec(
        select(Run)
        .where(
            Run.schedule_id == schedule.id,
            col(Run.summarised_at).is_(None),
            col(Run.fire_at) <= now,
        )
        .order_by(col(Run.fire_at).desc())
    )
    return rows.first()


async def record_answer(
    bot: Bot, schedule: Schedule, client: Client, member: Member, text: str, now: datetime
) -> Recorded | None:
    """Store an answer for the open run, or for the next one that will run when none is
    open (early answers: skipped days, holidays and pauses are passed over, else the answer
    would wait for a day that never prompts); note a blocker, or clear the person's
    blockers when they say there are none. None: paused, so no run to count it for."""
    questions = questions_of(schedule)
    async with bot.db.session() as session:
        run = await open_run(session, schedule, now)
        if run is not None:
            day, early = date.fromisoformat(run.local_date), False
        else:
            upcoming = next_running(schedule, client, now)
            if upcoming is None:
                return None
            day, early = local_date(upcoming, schedule.timezone), True
        assert schedule.id is not None and member.id is not None
        row = (
            await session.exec(
                select(CheckInAnswer).where(
                    CheckInAnswer.schedule_id == schedule.id,
                    CheckInAnswer.member_id == member.id,
                    CheckInAnswer.for_date == day.isoformat(),
                )
            )
        ).first()
        if row is None:
            row = CheckInAnswer(
                client_id=schedule.client_id,
                schedule_id=schedule.id,
                member_id=member.id,
                for_date=day.isoformat(),
                text=text,
                created_at=now,
            )
        row.text, row.created_at = text, now
        session.add(row)
        found = answers.blocker(questions, text)
        cleared = 0
        open_blockers = list(
            await session.exec(
                select(Blocker).where(
                    Blocker.client_id == schedule.client_id,
                    Blocker.schedule_id == schedule.id,
                    Blocker.member_id == member.id,
                    Blocker.status == BlockerStatus.OPEN,
                )
            )
        )
        if found and all(b.text.lower() != found.lower() for b in open_blockers):
            session.add(
                Blocker(
                    client_id=schedule.client_id,
                    schedule_id=schedule.id,
                    member_id=member.id,
                    text=found,
                    opened_at=now,
                )
            )
        elif answers.says_no_blocker(questions, text):
            for blocker in open_blockers:
                blocker.status, blocker.closed_at = BlockerStatus.RESOLVED, now
                session.add(blocker)
                cleared += 1
        await session.commit()
    return Recorded(day, early, found, cleared)


def thanks(schedule: Schedule, member: Member, recorded: Recorded | None) -> str:
    if recorded is None:
        return (
            f"The {label(schedule).lower()} here is paused, so there is no next one to count "
            "that for; answer again once it is resumed."
        )
    when = day_name(recorded.for_date)
    text = (
        f"Thanks {member.name}: that's early, so it counts for {when}'s {label(schedule).lower()}."
        if recorded.early
        else f"Thanks {member.name}: recorded for {when}."
    )
    if recorded.blocker:
        text += (
            f"\nBlocker noted: {shorten(recorded.blocker, 200)}. If it is still open after "
            f"{schedule.blocker_hours:g}h it goes to the CAIO."
        )
    if recorded.cleared:
        text += f"\nCleared {recorded.cleared} open blocker(s) of yours."
    return text


async def prompt_at(bot: Bot, client_id: str, member_id: int, address: Address) -> Prompt | None:
    """The latest prompt to this member whose replies arrive at `address`."""
    keys = {address.key, address.root.key}
    async with bot.db.session() as session:
        rows = await session.exec(
            select(Prompt)
            .where(
                Prompt.client_id == client_id,
                Prompt.member_id == member_id,
                col(Prompt.reply_key).in_(keys),
            )
            .order_by(col(Prompt.id).desc())
            .limit(1)
        )
        return rows.first()


# -- reminders and the summary ---------------------------------------------------------------


async def remind(
    bot: Bot, run: Run, schedule: Schedule, client: Client, now: datetime, number: int
) -> str:
    """Reminder `number` of a run, to those prompted who have not answered, unless it is
    quiet hours for them. Each person's delivery is recorded as it happens (the prompt's
    `reminders_sent` becomes `number`), so a retry after a failure part-way reminds only
    those it did not reach."""
    async with bot.db.session() as session:
        prompts = list(await session.exec(select(Prompt).where(Prompt.run_id == run.id)))
        done = {
            m
            for m in await session.exec(
                select(CheckInAnswer.member_id).where(
                    CheckInAnswer.schedule_id == schedule.id,
                    CheckInAnswer.for_date == run.local_date,
                )
            )
        }
        members = {
            m.id: m
            for m in await session.exec(
                select(Member).where(col(Member.id).in_([p.member_id for p in prompts]))
            )
        }
    closes = closing_time(run.fire_at, run.closes_at, schedule.timezone)
    reminded: list[str] = []
    quiet: list[str] = []
    for prompt in prompts:
        member = members.get(prompt.member_id)
        if member is None or prompt.member_id in done or not prompt.reply_key:
            continue
        if prompt.reminders_sent >= number:  # an earlier try of this reminder reached them
            continue
        tz = zone(member.timezone or schedule.timezone)
        if in_quiet_hours(client.quiet_hours, now, tz):
            quiet.append(member.name)
            continue
        where = Address.parse(prompt.reply_key)
        mention = f"@{member.name} " if where.thread else ""
        try:
            posted = await bot.send(
                Message(
                    f"{mention}Reminder: your {label(schedule).lower()} answer for "
                    f"{day_name(date.fromisoformat(run.local_date))} is still open until "
                    f"{closes}. Reply here or `/caio {schedule.kind} answer …`.",
                    address=where,
                )
            )
        except Exception as error:
            log.warning("reminder failed", run=run.id, member=member.id, exc_info=True)
            raise NotSent(
                f"reminder {number}: reminded {', '.join(reminded) or 'nobody'}; "
                f"stopped at {member.name} ({failure(error)})"
            ) from error
        await _reminded(bot, prompt, number, posted, now)
        reminded.append(member.name)
    reason = "reminded " + (", ".join(reminded) or "nobody")
    return reason + (f"; quiet hours for {', '.join(quiet)}" if quiet else "")


async def _reminded(bot: Bot, prompt: Prompt, number: int, posted: Posted, now: datetime) -> None:
    """One person's reminder delivered: counted on their prompt (a retry skips them), and
    its message kept so that a Reply to it finds the team."""
    async with bot.db.session() as session:
        await session.exec(
            update(Prompt).where(col(Prompt.id) == prompt.id).values(reminders_sent=number)
        )
        await _record_messages(await session.connection(), [(prompt.id or 0, posted)], now)
        await session.commit()


async def summarise(bot: Bot, run: Run, schedule: Schedule, client: Client, now: datetime) -> str:
    """Who answered, a digest of plans (or of all answers for other check-ins), and the
    open blockers with owner and age; posted where the schedule reports."""
    questions = questions_of(schedule)
    async with bot.db.session() as session:
        prompts = list(await session.exec(select(Prompt).where(Prompt.run_id == run.id)))
        given = list(
            await session.exec(
                select(CheckInAnswer).where(
                    CheckInAnswer.schedule_id == schedule.id,
                    CheckInAnswer.for_date == run.local_date,
                )
            )
        )
        blockers = list(
            await session.exec(
                select(Blocker).where(
                    Blocker.client_id == client.id,
                    Blocker.schedule_id == schedule.id,
                    Blocker.status == BlockerStatus.OPEN,
                )
            )
        )
        ids = {p.member_id for p in prompts} | {a.member_id for a in given}
        ids |= {b.member_id for b in blockers}
        names = {
            m.id: m.name
            for m in await session.exec(select(Member).where(col(Member.id).in_(sorted(ids))))
        }
    answered = sorted((names.get(a.member_id, "?") for a in given), key=str.lower)
    silent = sorted(
        (
            names.get(p.member_id, "?")
            for p in prompts
            if p.member_id not in {a.member_id for a in given}
        ),
        key=str.lower,
    )
    lines = [f"Answered: {', '.join(answered) or 'nobody'}"]
    if silent:
        lines.append(f"No answer: {', '.join(silent)}")
    digest = []
    for answer in sorted(given, key=lambda a: names.get(a.member_id, "").lower()):
        who = names.get(answer.member_id, "?")
        if schedule.kind == ScheduleKind.STANDUP:
            plan = answers.plans(questions, answer.text)
            if plan:
                digest.append(f"• {who}: {shorten(plan, 300)}")
        else:
            digest.append(f"• {who}: {shorten(answer.text, 600)}")
    if digest:
        heading = "Plans today:" if schedule.kind == ScheduleKind.STANDUP else "Answers:"
        lines += ["", heading, *digest]
    if blockers:
        lines += ["", "Blockers:"]
        for blocker in sorted(blockers, key=lambda b: b.opened_at):
            lines.append(
                f"• {names.get(blocker.member_id, '?')}: {shorten(blocker.text, 200)} "
                f"(open {age(now - blocker.opened_at)})"
            )
    title = (
        f"{label(schedule)} summary · {day_name(date.fromisoformat(run.local_date))} "
        f"({len(answered)} of {len(set(answered) | set(silent))} answered)"
    )
    await bot.send(
        Message("\n".join(lines), title=title, address=_report_to(run, schedule, client))
    )
    return f"summary: {len(answered)} answered, {len(silent)} silent, {len(blockers)} blockers"


def _report_to(run: Run, schedule: Schedule, client: Client) -> Address:
    if schedule.report == Report.THREAD and run.thread_address:
        return Address.parse(run.thread_address)
    if schedule.report == Report.CAIO and client.queue_address:
        return Address.parse(client.queue_address)
    return Address.parse(schedule.address)


def age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f} days"


def advance(run: Run, schedule: Schedule) -> None:
    run.next_action_at = _next_action(run, schedule)
