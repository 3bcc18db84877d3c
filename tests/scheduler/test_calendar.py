"""Holidays, out-of-office days, skips and downtime: what is skipped and `why` says so; and
DST never moves a stand-up, in Europe or in America."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.calendar import format_duration, parse_duration
from bot.clock import ManualClock
from bot.db.models_schedule import FireClaim, Schedule
from scheduler.cadence import Cadence
from scheduler.engine import Engine
from tests.conftest import Chat
from tests.scheduler.helpers import set_client, team

LONDON = ZoneInfo("Europe/London")


def at(day: date, hh: int, mm: int, tz: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz).astimezone(UTC)


async def test_holidays_away_days_and_downtime_are_skipped_and_explained(
    chat: Chat, clock: ManualClock
) -> None:
    await set_client(chat.bot, country="GB", region="ENG", timezone="Europe/London")
    await team(chat, "dana", "sam")
    clock.set(at(date(2026, 12, 23), 18, 0))
    await chat.say("/caio standup setup at 09:30 on mon-fri participants @dana @sam")
    await chat.say("/as sam")
    assert "Noted: away Mon 28 Dec to Tue 29 Dec" in await chat.say(
        "/caio standup away 2026-12-28..2026-12-29"
    )
    await chat.say("/as lee lead")
    assert "will be skipped" in await chat.say("/caio standup skip 2026-12-24")
    engine = Engine(chat.bot)

    clock.set(at(date(2026, 12, 24), 9, 30))
    await engine.run_due(clock.now())
    assert "asking" not in chat.pop()
    assert "skipped 2026-12-24: skip requested" in await chat.say("/caio standup why")

    clock.set(at(date(2026, 12, 25), 9, 30))
    await engine.run_due(clock.now())
    assert "asking" not in chat.pop()
    assert "skipped 2026-12-25: holiday Christmas Day in GB-ENG" in await chat.say(
        "/caio standup why"
    )

    clock.set(at(date(2026, 12, 28), 9, 30))  # Boxing Day (substitute) is a holiday too
    await engine.run_due(clock.now())
    assert "holiday Boxing Day" in await chat.say("/caio standup why")

    clock.set(at(date(2026, 12, 29), 9, 31))
    await engine.run_due(clock.now())
    assert "asking dana." in chat.pop()
    assert "prompted dana; out of office: sam" in await chat.say("/caio standup why")

    # Down from before 09:30 on the 30th until 10:15: past the 30-minute grace window.
    clock.set(at(date(2026, 12, 30), 10, 15))
    await engine.run_due(clock.now())
    assert "asking" not in chat.pop()
    why = await chat.say("/caio standup why")
    assert "skipped 2026-12-30: missed while the bot was not running (due 09:30" in why

    # Back within grace on the 31st: caught up, once, even with a second worker.
    clock.set(at(date(2026, 12, 31), 9, 50))
    await engine.run_due(clock.now())
    await Engine(chat.bot, worker="other").run_due(clock.now())
    assert chat.pop().count("Stand-up* for Thu 31 Dec: asking dana, sam") == 1


async def test_dst_never_moves_a_standup_in_two_zones(chat: Chat, clock: ManualClock) -> None:
    """Both 2026 changes in both zones: US 8 Mar and 1 Nov, EU 29 Mar and 25 Oct."""
    await chat.say("/as lee lead")
    await chat.say("/channel berlin")
    await chat.say("/caio standup setup at 09:30 on mon-sun tz Europe/Berlin window 1h")
    await chat.say("/channel newyork")
    await chat.say("/caio standup setup at 09:30 on mon-sun tz America/New_York window 1h")
    engine = Engine(chat.bot)
    for start, end in (
        (date(2026, 3, 5), date(2026, 4, 2)),
        (date(2026, 10, 22), date(2026, 11, 5)),
    ):
        clock.set(datetime.combine(start, time(0, 0), tzinfo=UTC))
        async with chat.bot.db.session() as session:  # re-aim both at the window's start
            for row in await session.exec(select(Schedule)):
                row.next_fire_at = Cadence(time(9, 30), row.timezone, "mon-sun").next_after(
                    clock.now()
                )
                session.add(row)
            await session.commit()
        while clock.now() < datetime.combine(end, time(0, 0), tzinfo=UTC):
            async with chat.bot.db.session() as session:
                due = min(
                    r.next_fire_at for r in await session.exec(select(Schedule)) if r.next_fire_at
                )
            clock.set(due)
            await engine.run_due(clock.now())
    chat.pop()
    async with chat.bot.db.session() as session:
        zones = {str(s.id): s.timezone for s in await session.exec(select(Schedule))}
        fires = list(await session.exec(select(FireClaim).where(FireClaim.job == "fire")))
    by_zone: dict[str, list[datetime]] = {}
    for claim in fires:
        by_zone.setdefault(zones[claim.ref], []).append(claim.fire_at)
    for tz, moments in by_zone.items():
        local = {m.astimezone(ZoneInfo(tz)).strftime("%H:%M") for m in moments}
        assert local == {"09:30"}, tz
        days = {m.astimezone(ZoneInfo(tz)).date() for m in moments}
        assert len(days) == len(moments) >= 28 + 14  # one a day, none doubled or lost
    berlin = {m.date(): m.strftime("%H:%M") for m in by_zone["Europe/Berlin"]}
    new_york = {m.date(): m.strftime("%H:%M") for m in by_zone["America/New_York"]}
    assert (berlin[date(2026, 3, 28)], berlin[date(2026, 3, 30)]) == ("08:30", "07:30")
    assert (berlin[date(2026, 10, 24)], berlin[date(2026, 10, 26)]) == ("07:30", "08:30")
    assert (new_york[date(2026, 3, 6)], new_york[date(2026, 3, 9)]) == ("14:30", "13:30")
    assert (new_york[date(2026, 10, 30)], new_york[date(2026, 11, 2)]) == ("13:30", "14:30")


def test_cadences_every_n_weeks_and_monthly() -> None:
    after = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    fortnightly = Cadence(time(15, 0), "UTC", "fri", every_weeks=2, anchor=date(2026, 11, 27))
    first = fortnightly.next_after(after)
    assert first == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert first and fortnightly.next_after(first) == datetime(2026, 12, 11, 15, 0, tzinfo=UTC)
    monthly = Cadence(time(10, 0), "Europe/Berlin", month_day="1st mon")
    assert monthly.next_after(after) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert Cadence(time(9, 0), "UTC", month_day="last fri").next_after(after) == datetime(
        2026, 11, 27, 9, 0, tzinfo=UTC
    )
    assert Cadence(time(9, 0), "UTC", "mon-fri").next_after(after - timedelta(hours=3)) == (
        datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("minutes", "shown"), [(240, "4h"), (90, "1h30m"), (45, "45m"), (1440, "1d"), (1500, "25h")]
)
def test_a_duration_is_shown_as_it_is_typed_and_reads_back(minutes: int, shown: str) -> None:
    """Forms are pre-filled with what `show` prints, so it must parse back to the same."""
    assert format_duration(minutes) == shown
    assert parse_duration(shown) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("month_day", "shown"),
    [("1st mon", "first Monday"), ("last fri", "last Friday"), ("15", "15th"), ("2", "2nd")],
)
def test_a_monthly_day_is_shown_in_words(month_day: str, shown: str) -> None:
    cadence = Cadence(time(10, 0), "UTC", month_day=month_day)
    assert cadence.describe() == f"monthly on the {shown} at 10:00 UTC"


async def test_a_time_that_occurs_twice_when_clocks_go_back_fires_once(
    chat: Chat, clock: ManualClock
) -> None:
    """02:30 happens twice in Berlin on 31 Oct 2027 (CEST, then CET): one stand-up that
    day, at the first, and its close reads as after its start."""
    await team(chat, "dana")
    clock.set(datetime(2027, 10, 30, 12, 0, tzinfo=UTC))
    await chat.say(
        "/caio standup setup at 02:30 on mon-sun tz Europe/Berlin participants @dana "
        "window 1h reminders 0"
    )
    engine = Engine(chat.bot)
    seen = []
    moment = datetime(2027, 10, 30, 23, 0, tzinfo=UTC)
    while moment <= datetime(2027, 10, 31, 4, 0, tzinfo=UTC):
        clock.set(moment)
        await engine.run_due(moment)
        seen.append(chat.pop())
        moment += timedelta(minutes=5)
    kickoffs = [line for out in seen for line in out.splitlines() if "*Stand-up* for" in line]
    assert kickoffs == [
        "  *Stand-up* for Sun 31 Oct: asking dana. Answers until 02:30 Europe/Berlin "
        "(CET: the clocks go back in between)."
    ]
    assert "Stand-up summary · Sun 31 Oct" in "".join(seen)
    async with chat.bot.db.session() as session:
        fires = list(await session.exec(select(FireClaim).where(FireClaim.job == "fire")))
    assert [f.fire_at for f in fires] == [datetime(2027, 10, 31, 0, 30, tzinfo=UTC)]
    assert "Next: Mon 01 Nov 02:30 Europe/Berlin" in await chat.say("/caio standup show")
