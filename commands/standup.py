"""`/caio standup …`: set up a channel's stand-up, answer it, and see why it did what it
did. What a stand-up shares with other check-ins is commands/channel_checkin.py."""

from __future__ import annotations

from sqlmodel import col, delete, select

from bot.calendar import CalendarError, local_date, parse_date, zone
from bot.context import Context
from bot.db.models import Member
from bot.db.models_schedule import Away, Run, Schedule, ScheduleKind
from bot.events import ThreadReply
from bot.forms import Form
from bot.registry import registry
from commands import channel_checkin as common
from scheduler import checkins

K = ScheduleKind.STANDUP


@registry.command(
    "standup",
    summary="Daily stand-ups: prompts, reminders, a summary, blockers tracked",
    usage="standup setup|show|pause|resume|skip <date>|now|off|why|answer <text>|tz <zone>|"
    "away <date>[..<date>]",
    example="standup setup at 09:30 on mon-fri tz Europe/Berlin window 4h",
)
async def standup(ctx: Context, text: str) -> None:
    await ctx.usage()


@registry.command(
    "standup setup",
    summary="Set up (or change) this channel's stand-up",
    usage=common.SETUP_USAGE[K],
    example='standup setup at 09:30 on mon-fri tz Europe/Berlin window 4h questions "Done?" '
    '"Next?" "Blockers?"',
)
async def standup_setup(ctx: Context, text: str) -> None:
    await common.setup(ctx, K, text)


@registry.form_opener("standup setup")
async def standup_form(ctx: Context, text: str) -> Form | None:
    """A bare `/caio standup setup` opens a form pre-filled with this channel's settings."""
    return await common.setup_form(ctx, K, text)


@registry.action("form:standup.setup")
async def standup_submitted(ctx: Context, value: str) -> None:
    await common.setup_submitted(ctx, K, value)


@registry.command("standup show", summary="This channel's stand-up", usage="standup show")
async def standup_show(ctx: Context, text: str) -> None:
    await common.show(ctx, K)


@registry.command("standup pause", summary="Pause the stand-up", usage="standup pause")
async def standup_pause(ctx: Context, text: str) -> None:
    await common.set_paused(ctx, K, True)


@registry.command("standup resume", summary="Resume the stand-up", usage="standup resume")
async def standup_resume(ctx: Context, text: str) -> None:
    await common.set_paused(ctx, K, False)


@registry.command(
    "standup skip",
    summary="Skip one day",
    usage="standup skip <YYYY-MM-DD>",
    example="standup skip 2026-12-24",
)
async def standup_skip(ctx: Context, text: str) -> None:
    await common.skip(ctx, K, text)


@registry.command("standup now", summary="Run the stand-up now", usage="standup now")
async def standup_now(ctx: Context, text: str) -> None:
    await common.now(ctx, K)


@registry.command("standup off", summary="Turn the stand-up off", usage="standup off")
async def standup_off(ctx: Context, text: str) -> None:
    await common.off(ctx, K)


@registry.command(
    "standup why", summary="Why the last stand-up was sent or skipped", usage="standup why"
)
async def standup_why(ctx: Context, text: str) -> None:
    await common.why(ctx, K)


@registry.command(
    "standup answer",
    summary="Answer the stand-up (early answers count for the next one)",
    usage="standup answer <text>",
    example="standup answer yesterday: eval harness | today: prompt caching | blockers: none",
)
async def standup_answer(ctx: Context, text: str) -> None:
    await common.answer(ctx, K, text)


@registry.command(
    "standup tz",
    summary="Your own time zone",
    usage="standup tz <zone>",
    example="standup tz America/New_York",
)
async def standup_tz(ctx: Context, text: str) -> None:
    name = text.strip()
    if not name:
        await ctx.usage()
        return
    try:
        zone(name)
    except CalendarError as error:
        await ctx.usage(str(error))
        return
    async with ctx.bot.db.session() as session:
        member = await session.get(Member, ctx.member.id)
        assert member is not None
        member.timezone = name
        session.add(member)
        await session.commit()
    await ctx.reply(f"Your time zone is now {name}.", ephemeral=True)


@registry.command(
    "standup away",
    summary="Your out-of-office days (no prompts then)",
    usage="standup away <date>[..<date>] | away clear",
    example="standup away 2026-12-24..2026-12-31",
)
async def standup_away(ctx: Context, text: str) -> None:
    spec = text.strip()
    today = local_date(ctx.bot.clock.now(), ctx.member.timezone or ctx.client.timezone)
    async with ctx.bot.db.session() as session:
        if spec == "clear":
            await session.exec(
                delete(Away).where(
                    col(Away.client_id) == ctx.client_id, col(Away.member_id) == ctx.member.id
                )
            )
            await session.commit()
            await ctx.reply("Out-of-office days cleared.", ephemeral=True)
            return
        if not spec:
            rows = await session.exec(
                select(Away).where(
                    Away.client_id == ctx.client_id,
                    Away.member_id == ctx.member.id,
                    Away.end >= today.isoformat(),
                )
            )
            spans = [f"{a.start}..{a.end}" if a.start != a.end else a.start for a in rows]
            await ctx.reply("Away: " + (", ".join(spans) or "no days set"), ephemeral=True)
            return
        try:
            first, _, last = spec.partition("..")
            start, end = parse_date(first), parse_date(last) if last else parse_date(first)
        except CalendarError as error:
            await ctx.usage(str(error))
            return
        if end < start or end < today:
            await ctx.usage("The range must end on or after its start, and not in the past.")
            return
        session.add(
            Away(
                client_id=ctx.client_id,
                member_id=ctx.member.id or 0,
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
        await session.commit()
    span = checkins.day_name(start, today) + (
        f" to {checkins.day_name(end, today)}" if end != start else ""
    )
    await ctx.reply(f"Noted: away {span}. No check-in prompts then.", ephemeral=True)


@registry.thread_reply
async def prompt_reply(ctx: Context, reply: ThreadReply) -> bool:
    """A reply where a check-in prompted this person answers it; anything else is left to
    the other handlers (escalation threads)."""
    prompt = await checkins.prompt_at(ctx.bot, ctx.client_id, ctx.member.id or 0, reply.address)
    if prompt is None or not reply.text.strip():
        return False
    async with ctx.bot.db.session() as session:
        run = await session.get(Run, prompt.run_id)
        schedule = await session.get(Schedule, run.schedule_id) if run else None
    if schedule is None:
        return False
    recorded = await checkins.record_answer(
        ctx.bot, schedule, ctx.client, ctx.member, reply.text.strip(), ctx.bot.clock.now()
    )
    await ctx.reply(checkins.thanks(schedule, ctx.member, recorded))
    return True
