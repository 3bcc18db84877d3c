"""`/caio checkin …`: check-ins other than the daily stand-up, with their own questions
and cadence (weekly, every N weeks, monthly on a day or an nth weekday). The machinery is
shared with the stand-up (commands/channel_checkin.py, scheduler/checkins.py)."""

from __future__ import annotations

from bot.context import Context
from bot.db.models_schedule import ScheduleKind
from bot.forms import Form
from bot.registry import registry
from commands import channel_checkin as common

# Not used here: loaded first so the stand-up's subcommands, and its thread-reply handler,
# keep their place before the check-in's in the registry (Discord lists them in its order).
from commands import standup  # noqa: F401

K = ScheduleKind.CHECKIN


@registry.command(
    "checkin",
    summary="Weekly or monthly check-ins with their own questions",
    usage="checkin setup|show|pause|resume|skip <date>|now|off|why|answer <text>",
    example='checkin setup weekly on fri at 15:00 questions "What did you try with AI this week?"',
)
async def checkin(ctx: Context, text: str) -> None:
    await ctx.usage()


@registry.command(
    "checkin setup",
    summary="Set up (or change) this channel's check-in",
    usage=common.SETUP_USAGE[K],
    example="checkin setup monthly on 1st mon at 10:00 report caio "
    'questions "Where is AI on your roadmap this quarter?"',
)
async def checkin_setup(ctx: Context, text: str) -> None:
    await common.setup(ctx, K, text)


@registry.form_opener("checkin setup")
async def checkin_form(ctx: Context, text: str) -> Form | None:
    """A bare `/caio checkin setup` opens a form pre-filled with this channel's settings."""
    return await common.setup_form(ctx, K, text)


@registry.action("form:checkin.setup")
async def checkin_submitted(ctx: Context, value: str) -> None:
    await common.setup_submitted(ctx, K, value)


@registry.command("checkin show", summary="This channel's check-in", usage="checkin show")
async def checkin_show(ctx: Context, text: str) -> None:
    await common.show(ctx, K)


@registry.command("checkin pause", summary="Pause the check-in", usage="checkin pause")
async def checkin_pause(ctx: Context, text: str) -> None:
    await common.set_paused(ctx, K, True)


@registry.command("checkin resume", summary="Resume the check-in", usage="checkin resume")
async def checkin_resume(ctx: Context, text: str) -> None:
    await common.set_paused(ctx, K, False)


@registry.command("checkin skip", summary="Skip one date", usage="checkin skip <YYYY-MM-DD>")
async def checkin_skip(ctx: Context, text: str) -> None:
    await common.skip(ctx, K, text)


@registry.command("checkin now", summary="Run the check-in now", usage="checkin now")
async def checkin_now(ctx: Context, text: str) -> None:
    await common.now(ctx, K)


@registry.command("checkin off", summary="Turn the check-in off", usage="checkin off")
async def checkin_off(ctx: Context, text: str) -> None:
    await common.off(ctx, K)


@registry.command(
    "checkin why", summary="Why the last check-in was sent or skipped", usage="checkin why"
)
async def checkin_why(ctx: Context, text: str) -> None:
    await common.why(ctx, K)


@registry.command(
    "checkin answer",
    summary="Answer the check-in",
    usage="checkin answer <text>",
    example="checkin answer tried Copilot for test generation | saved an hour | blockers: none",
)
async def checkin_answer(ctx: Context, text: str) -> None:
    await common.answer(ctx, K, text)
