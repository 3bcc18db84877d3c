"""A channel's check-in, whatever its kind: set up (typed or by form), shown, paused,
skipped, run now, turned off, explained and answered. A stand-up is one kind of check-in;
commands/standup.py and commands/checkin.py register their subcommands on this."""

from __future__ import annotations

import re
import shlex

from sqlmodel import col, select

from bot import forms as chat_forms
from bot.calendar import (
    CalendarError,
    format_duration,
    holiday,
    local_date,
    parse_date,
    zone,
)
from bot.context import Context
from bot.db.models import Member
from bot.db.models_schedule import (
    Blocker,
    BlockerStatus,
    Report,
    Run,
    Schedule,
    ScheduleKind,
)
from bot.directory import find_member
from bot.events import Address
from bot.forms import Form, FormField
from bot.message import Message
from bot.text import shorten
from commands import setup_line
from scheduler import checkins, claims
from scheduler.engine import FIRE, FIRE_NOW, fire_now
from scheduler.store import (
    cadence_of,
    find,
    for_client,
    participants,
    past_days_already_run,
    questions_of,
    remove,
    touch,
)

DEFAULTS = {
    ScheduleKind.STANDUP: {"days": "mon-fri", "local_time": "09:30", "window_minutes": 240},
    ScheduleKind.CHECKIN: {"days": "fri", "local_time": "15:00", "window_minutes": 24 * 60},
}
# The longest answer window, in minutes: a stand-up's closes before the next day's opens,
# so its window stays under a day.
LONGEST_WINDOW = {ScheduleKind.STANDUP: 24 * 60 - 1, ScheduleKind.CHECKIN: 7 * 24 * 60}
SETUP_USAGE = {
    ScheduleKind.STANDUP: (
        "standup setup [at 09:30] [on mon-fri] [tz Europe/Berlin] [window 4h] "
        '[participants @a @b] [questions "…" "…"] [report thread|channel|caio] [reminders 2] '
        "[escalate 48h]"
    ),
    ScheduleKind.CHECKIN: (
        "checkin setup weekly|every 2 weeks|monthly on 1st mon [on fri] [at 15:00] "
        '[tz Europe/Berlin] [window 1d] [participants @a @b] [questions "…"] '
        "[report channel|thread|caio] [reminders 1]"
    ),
}


async def _schedule_here(ctx: Context, kind: ScheduleKind) -> Schedule | None:
    async with ctx.bot.db.session() as session:
        found = await find(session, ctx.client_id, kind, ctx.address)
    if found is None:
        await ctx.reply(
            f"There is no {kind} in this channel. Set one up with `/caio {kind} setup`.",
            ephemeral=True,
        )
    return found


async def _participants(ctx: Context, names: list[str]) -> list[Member] | str:
    """Members named in a setup line; a sentence naming the unknown ones, or those who are
    not in this workspace, otherwise. A platform mention of someone new is asked of the
    platform: ids are public, and one client must not be able to prompt (and so collect
    the answers of) another client's people."""
    found: list[Member] = []
    unknown: list[str] = []
    outsiders: list[str] = []
    adapter = ctx.bot.adapter_for(ctx.address)
    async with ctx.bot.db.session() as session:
        for word in names:
            user_id, name = setup_line.mention(word)
            member = await find_member(session, ctx.client_id, user_id or name)
            if member is None and user_id:
                if not await adapter.has_member(ctx.address.workspace, user_id):
                    outsiders.append(word)
                    continue
                member = Member(
                    client_id=ctx.client_id,
                    platform=ctx.address.platform,
                    user_id=user_id,
                    name=name or user_id,
                )
                session.add(member)
                await session.commit()
                await session.refresh(member)
            if member is None:
                unknown.append("@" + name)
            elif member.id not in {m.id for m in found}:
                found.append(member)
    if outsiders:
        return (
            f"{', '.join(outsiders)} {'is' if len(outsiders) == 1 else 'are'} not in this "
            "workspace, so I can't add them as participants here."
        )
    if unknown:
        return (
            f"I don't know {', '.join(unknown)} yet: they need to use caio-bot once "
            "(any `/caio` command), or mention them with the platform's @-mention."
        )
    return found


async def setup(ctx: Context, kind: ScheduleKind, text: str, *, from_form: bool = False) -> None:
    """Save the one-line setup form; a form's answers arrive here as that line too."""
    try:
        form = setup_line.parse(text, LONGEST_WINDOW[kind])
    except CalendarError as error:
        await (_refuse_answers(ctx, kind, str(error), text) if from_form else ctx.usage(str(error)))
        return
    people: list[Member] | None = None
    if form.participants is not None:
        resolved = await _participants(ctx, form.participants)
        if isinstance(resolved, str):
            await (
                _refuse_answers(ctx, kind, resolved, text)
                if from_form
                else ctx.reply(resolved, ephemeral=True)
            )
            return
        people = resolved
    now = ctx.bot.clock.now()
    async with ctx.bot.db.session() as session:
        schedule = await find(session, ctx.client_id, kind, ctx.address)
        if schedule is None:
            schedule = Schedule(
                client_id=ctx.client_id,
                kind=kind,
                address=ctx.address.root.key,
                timezone=ctx.client.timezone,
                created_by=ctx.member.name,
                changed_at=now,
                **DEFAULTS[kind],  # type: ignore[arg-type]
            )
        form.apply(schedule, local_date(now, form.tz or schedule.timezone))
        if people is not None:
            schedule.participants = ",".join(str(m.id) for m in people)
        touch(schedule, now)
        ran = await past_days_already_run(session, schedule)
        session.add(schedule)
        await session.commit()
        await session.refresh(schedule)
    note = ""
    if ran is not None and schedule.next_fire_at is not None:
        starts = checkins.day_name(local_date(schedule.next_fire_at, schedule.timezone))
        note = (
            f"{checkins.day_name(ran)}'s {checkins.label(schedule).lower()} already ran, so "
            f"the new time applies from {starts}.\n"
        )
    title = f"{checkins.label(schedule)} set up"
    await ctx.reply(await describe(ctx, schedule, title=title, note=note))


async def describe(
    ctx: Context, schedule: Schedule, title: str | None = None, note: str = ""
) -> Message:
    """Everything a team needs to know about its check-in, in one message (after `note`,
    what the change it answers did)."""
    async with ctx.bot.db.session() as session:
        people = (await participants(session, [schedule]))[schedule.id or 0]
        blockers = list(
            await session.exec(
                select(Blocker, Member)
                .join(Member, col(Member.id) == col(Blocker.member_id))
                .where(
                    Blocker.client_id == ctx.client_id,
                    Blocker.schedule_id == schedule.id,
                    Blocker.status == BlockerStatus.OPEN,
                )
            )
        )
    where = {Report.CHANNEL: "the channel", Report.THREAD: "a thread", Report.CAIO: "the CAIO"}
    who = ", ".join(m.name for m in people) or "nobody yet"
    if not schedule.participants:
        who += " (everyone here who has used caio-bot)"
    questions = "\n".join(f"  {i}. {q}" for i, q in enumerate(questions_of(schedule), start=1))
    fields = [
        ("When", cadence_of(schedule).describe() + (" — paused" if schedule.paused else "")),
        ("Participants", who),
        (
            "Window",
            f"{format_duration(schedule.window_minutes)} · "
            f"reminders {schedule.reminders} · summary to {where[schedule.report]} · "
            f"blockers to the CAIO after {schedule.blocker_hours:g}h",
        ),
    ]
    if schedule.next_fire_at is not None and not schedule.paused:
        local = schedule.next_fire_at.astimezone(zone(schedule.timezone))
        nxt = f"{local:%a %d %b %H:%M} {schedule.timezone}"
        name = holiday(ctx.client.country, ctx.client.region, local.date())
        if name:
            nxt += f" (holiday: {name}, will be skipped)"
        fields.append(("Next", nxt))
    if schedule.skip_dates:
        fields.append(("Skipping", schedule.skip_dates.replace(",", ", ")))
    text = f"{note}Questions:\n{questions}"
    if blockers:
        now = ctx.bot.clock.now()
        text += "\nOpen blockers:\n" + "\n".join(
            f"  • {m.name}: {shorten(b.text, 120)} ({checkins.age(now - b.opened_at)})"
            for b, m in blockers
        )
    return Message(
        text,
        title=title or f"{checkins.label(schedule)} in #{Address.parse(schedule.address).channel}",
        fields=tuple(fields),
    )


async def show(ctx: Context, kind: ScheduleKind) -> None:
    schedule = await _schedule_here(ctx, kind)
    if schedule is None:
        async with ctx.bot.db.session() as session:
            others = await for_client(session, ctx.client_id, kind)
        if others:
            places = ", ".join(f"#{Address.parse(s.address).channel}" for s in others)
            await ctx.reply(f"This team's {kind}s are in {places}.", ephemeral=True)
        return
    await ctx.reply(await describe(ctx, schedule), ephemeral=True)


async def set_paused(ctx: Context, kind: ScheduleKind, paused: bool) -> None:
    schedule = await _schedule_here(ctx, kind)
    if schedule is None:
        return
    async with ctx.bot.db.session() as session:
        row = await session.get(Schedule, schedule.id)
        assert row is not None
        row.paused = paused
        session.add(touch(row, ctx.bot.clock.now()))
        await session.commit()
    state = "paused" if paused else "resumed"
    await ctx.reply(f"{checkins.label(schedule)} {state} by {ctx.member.name}.")


async def skip(ctx: Context, kind: ScheduleKind, text: str) -> None:
    schedule = await _schedule_here(ctx, kind)
    if schedule is None:
        return
    try:
        if text.strip():
            day = parse_date(text)
        elif schedule.next_fire_at is not None:
            day = local_date(schedule.next_fire_at, schedule.timezone)
        else:
            raise CalendarError("which date?")
    except CalendarError as error:
        await ctx.usage(str(error))
        return
    today = local_date(ctx.bot.clock.now(), schedule.timezone)
    if day < today:
        await ctx.usage(f"{day.isoformat()} is in the past: skip today or a later day.")
        return
    async with ctx.bot.db.session() as session:
        row = await session.get(Schedule, schedule.id)
        assert row is not None
        dates = {d for d in row.skip_dates.split(",") if d >= today.isoformat()}
        row.skip_dates = ",".join(sorted(dates | {day.isoformat()}))
        session.add(touch(row, ctx.bot.clock.now()))
        await session.commit()
    when = checkins.day_name(day, today)
    await ctx.reply(f"{checkins.label(schedule)} on {when} will be skipped.")


async def now(ctx: Context, kind: ScheduleKind) -> None:
    schedule = await _schedule_here(ctx, kind)
    if schedule is None:
        return
    if not await fire_now(ctx.bot, schedule, ctx.client):
        await ctx.reply("That was just sent; nothing sent twice.", ephemeral=True)


async def off(ctx: Context, kind: ScheduleKind) -> None:
    schedule = await _schedule_here(ctx, kind)
    if schedule is None:
        return
    async with ctx.bot.db.session() as session:
        row = await session.get(Schedule, schedule.id)
        if row is not None:
            await remove(session, row)
    await ctx.reply(f"{checkins.label(schedule)} in this channel turned off by {ctx.member.name}.")


async def why(ctx: Context, kind: ScheduleKind) -> None:
    schedule = await _schedule_here(ctx, kind)
    if schedule is None:
        return
    now = ctx.bot.clock.now()
    last = await claims.last(ctx.bot.db, ctx.client_id, (FIRE, FIRE_NOW), str(schedule.id), now)
    if last is None:
        await ctx.reply(
            f"It has not fired yet. {checkins.label(schedule)} runs "
            f"{cadence_of(schedule).describe()}.",
            ephemeral=True,
        )
        return
    await ctx.reply(claims.shown(*last, schedule.timezone), ephemeral=True)


async def _answerable(ctx: Context, kind: ScheduleKind) -> Schedule | None:
    """The check-in an answer is for: this channel's, else the one that last prompted the
    person, else the only one they take part in."""
    async with ctx.bot.db.session() as session:
        here = await find(session, ctx.client_id, kind, ctx.address)
        if here is not None:
            return here
        schedules = await for_client(session, ctx.client_id, kind)
        people = await participants(session, schedules) if schedules else {}
    mine = [s for s in schedules if ctx.member.id in {m.id for m in people[s.id or 0]}]
    prompt = await checkins.prompt_at(ctx.bot, ctx.client_id, ctx.member.id or 0, ctx.address)
    if prompt is not None:
        async with ctx.bot.db.session() as session:
            run = await session.get(Run, prompt.run_id)
        for s in mine:
            if run is not None and s.id == run.schedule_id:
                return s
    return mine[0] if len(mine) == 1 else None


async def answer(ctx: Context, kind: ScheduleKind, text: str) -> None:
    if not text.strip():
        await ctx.usage("What is your answer?")
        return
    schedule = await _answerable(ctx, kind)
    if schedule is None:
        await ctx.reply(
            f"Which {kind}? Answer in its channel, or reply to the prompt I sent you.",
            ephemeral=True,
        )
        return
    recorded = await checkins.record_answer(
        ctx.bot, schedule, ctx.client, ctx.member, text.strip(), ctx.bot.clock.now()
    )
    await ctx.reply(checkins.thanks(schedule, ctx.member, recorded), ephemeral=True)


async def setup_form(ctx: Context, kind: ScheduleKind, text: str) -> Form | None:
    """The setup form of a stand-up or check-in, pre-filled with this channel's settings
    (a check-in asks for its cadence where a stand-up asks for its days); None when
    something was typed after `setup`, which then runs as the one-line form."""
    if text.strip():
        return None
    async with ctx.bot.db.session() as session:
        current = await find(session, ctx.client_id, kind, ctx.address)
        named = (await participants(session, [current]))[current.id or 0] if current else []
    defaults = DEFAULTS[kind]
    at = current.local_time if current else str(defaults["local_time"])
    tz = current.timezone if current else ctx.client.timezone
    minutes = current.window_minutes if current else int(str(defaults["window_minutes"]))
    questions = questions_of(current) if current else ()
    people = " ".join(f"@{m.name}" for m in named) if current and current.participants else ""
    days = current.days if current else str(defaults["days"])
    if kind == ScheduleKind.STANDUP:
        when = FormField("days", "Days", placeholder="mon-fri", initial=days)
    else:
        when = FormField(
            "cadence",
            "How often",
            placeholder="weekly on fri · every 2 weeks on mon · monthly on 1st mon",
            initial=cadence_line(current) if current else f"weekly on {days}",
        )
    fields = (
        FormField(
            "when", "Time and time zone", placeholder="09:30 Europe/Berlin", initial=f"{at} {tz}"
        ),
        when,
        FormField("window", "Response window", placeholder="4h", initial=format_duration(minutes)),
        FormField(
            "participants",
            "Participants (@names)",
            required=False,
            placeholder="@dana @sam",
            initial=people,
        ),
        FormField(
            "questions",
            "Questions (one a line, or split by |)",
            multiline=True,
            required=False,
            placeholder="What did you do yesterday?",
            initial="\n".join(questions),
        ),
    )
    title = "Stand-up setup" if kind == ScheduleKind.STANDUP else "Check-in setup"
    return Form(f"{kind}.setup", title, fields, submit_label="Save", usage=SETUP_USAGE[kind])


def cadence_line(schedule: Schedule) -> str:
    """A check-in's cadence in the words of the one-line form, to pre-fill its form."""
    if schedule.month_day:
        return f"monthly on {schedule.month_day}"
    if schedule.every_weeks > 1:
        return f"every {schedule.every_weeks} weeks on {schedule.days}"
    return f"weekly on {schedule.days}"


def _line_of(submission: chat_forms.Submission) -> str:
    """The form's answers as the one-line setup form, so both go through one parser."""
    when = submission.get("when").split()
    words = [f"at {shlex.quote(when[0])}"] if when else []
    if len(when) > 1:
        words.append(f"tz {shlex.quote(when[1])}")
    # A cadence is several words of the grammar ("monthly on 1st mon"); each is quoted
    # alone, so it stays words and cannot open a quote.
    words += [shlex.quote(w) for w in submission.get("cadence").split()]
    for keyword, name in (("on", "days"), ("window", "window")):
        if submission.get(name):
            words.append(f"{keyword} {shlex.quote(submission.get(name))}")
    names = [shlex.quote(n) for n in submission.get("participants").replace(",", " ").split()]
    if names:
        words.append("participants " + " ".join(names))
    asked = [q.strip() for q in re.split(r"[\n|]", submission.get("questions")) if q.strip()]
    if asked:
        words.append("questions " + " ".join(shlex.quote(q) for q in asked))
    return " ".join(words)


async def setup_submitted(ctx: Context, kind: ScheduleKind, value: str) -> None:
    """A submitted setup form, checked as the typed command would be."""
    ctx.spec = ctx.bot.registry.commands[f"{kind} setup"]
    if not ctx.may(ctx.spec.name):
        await ctx.refuse(ctx.spec.name)
        return
    submission = chat_forms.decode(value)
    if submission is None:
        await ctx.usage("That form could not be read.")
        return
    await setup(ctx, kind, _line_of(submission), from_form=True)


async def _refuse_answers(ctx: Context, kind: ScheduleKind, problem: str, line: str) -> None:
    """A form closes when sent, so its answers come back as the one-line form: fixed and
    sent again, nothing has to be typed twice."""
    await ctx.reply(
        f"{problem}\nNothing saved. Your answers as one line, to fix and send again:\n"
        f"`/caio {kind} setup {line}`",
        ephemeral=True,
    )
