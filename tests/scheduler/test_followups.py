"""Escalation SLAs in office hours, nudges and overdue flags, blockers escalated when left
open, knowledge-sharing posts and digests, and other check-ins' cadences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import ManualClock
from bot.db.models import Client
from bot.sla import due_at
from scheduler.engine import Engine
from tests.conftest import Chat
from tests.scheduler.helpers import set_client, team


def client(**values: Any) -> Client:
    """A Client, not stored, with `values` for some of its fields."""
    base: dict[str, Any] = {
        "id": "c",
        "name": "C",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "timezone": "Europe/Berlin",
        "office_hours": "mon-fri 09:00-17:00",
        "response_target_hours": 8.0,
    }
    base.update(values)
    return Client(**base)


def test_due_time_counts_office_hours_weekends_and_holidays() -> None:
    friday_4pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 16:00 Berlin
    assert due_at(client(), friday_4pm) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Mon 16:00
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert due_at(client(), saturday) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Mon 17:00
    christmas_eve_4pm = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Thu; 25th/26th holidays
    assert due_at(client(country="DE"), christmas_eve_4pm) == datetime(
        2026, 12, 28, 15, 0, tzinfo=UTC
    )
    assert due_at(client(office_hours="whenever"), friday_4pm) == friday_4pm + timedelta(hours=8)


async def test_caio_is_nudged_before_the_due_time_and_flagged_after(
    chat: Chat, clock: ManualClock
) -> None:
    await set_client(chat.bot, timezone="Europe/Berlin", response_target_hours=4.0)
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # Fri 15:00 Berlin
    out = await chat.say("/caio escalate can we fine-tune on support tickets with PII?")
    assert "Expect an answer by Mon 30 Nov 11:00 Europe/Berlin" in out
    first, second = Engine(chat.bot, worker="a"), Engine(chat.bot, worker="b")
    clock.set(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))  # Mon 08:59: not yet
    await first.run_due(clock.now())
    assert chat.pop() == ""
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # two hours before the due time
    await first.run_due(clock.now())
    await second.run_due(clock.now())
    nudged = chat.pop()
    assert nudged.count("Nudge: escalation #1 is due by Mon 30 Nov 11:00") == 1
    assert "[#caio-queue › thread 1]" in nudged
    clock.set(datetime(2026, 11, 30, 10, 1, tzinfo=UTC))
    await second.run_due(clock.now())
    await first.run_due(clock.now())
    assert chat.pop().count("Overdue: escalation #1 was due by Mon 30 Nov 11:00") == 1
    await chat.say("/as dana caio")
    await chat.say("/caio answer 1 Only after redaction and a DPA addendum.")
    clock.advance(timedelta(days=1))
    await first.run_due(clock.now())
    assert chat.pop() == ""


async def test_a_blocker_left_open_goes_to_the_caio(chat: Chat, clock: ManualClock) -> None:
    await team(chat, "sam")
    await chat.say("/caio standup setup at 09:30 tz UTC escalate 24h participants @sam")
    await chat.say("/as sam")
    await chat.say("/caio standup answer today: load test | blockers: no staging DB access")
    engine = Engine(chat.bot)
    clock.advance(timedelta(hours=23))
    await engine.run_due(clock.now())
    assert "escalated" not in chat.pop()
    clock.advance(timedelta(hours=2))
    await engine.run_due(clock.now())
    await Engine(chat.bot, worker="b").run_due(clock.now())
    out = chat.pop()
    assert out.count("Escalation #1") == 1
    assert "Stand-up blocker of sam, open 25h: no staging DB access" in out
    assert "sam's blocker “no staging DB access” has been open 25h; escalated" in out


async def test_share_queue_then_weekly_digest(chat: Chat, clock: ManualClock) -> None:
    await chat.say("/as lee lead")
    assert "Only the CAIO, a lead or an admin" not in await chat.say(
        "/caio share schedule on tue at 10:00 tz UTC"
    )
    queued = await chat.say("/caio share add https://example.com/evals a guide to evals #evals")
    assert "Queued as #1 (1 waiting; posts on tue at 10:00 UTC)" in queued
    await chat.say("/caio share add a second post to drop")
    assert "Removed #2" in await chat.say("/caio share remove 2")
    assert "#1 https://example.com/evals a guide to evals #evals — lee" in await chat.say(
        "/caio share list"
    )
    engine = Engine(chat.bot)
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # Tuesday
    await engine.run_due(clock.now())
    await Engine(chat.bot, worker="b").run_due(clock.now())
    posted = chat.pop()
    assert posted.count("** Knowledge share **") == 1
    assert "https://example.com/evals a guide to evals\n  #evals" in posted

    await chat.say("/as dev")
    await chat.say("/caio escalate how should we evaluate our RAG pipeline before launch?")
    await chat.say("/as dana caio")
    await chat.say("/caio answer 1 Build a golden set of 30 real questions first.")
    await chat.say("/as dev")
    await chat.say("/caio ask how do we handle OpenAI rate limits in production?")
    clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    await engine.run_due(clock.now())
    digest = chat.pop()
    assert "** This week in AI **" in digest
    caio = digest.index("Build a golden set of 30 real questions first. (CAIO)")
    assert caio < digest.index("rate limits in production")
    assert "*Playbook tip:" in digest


async def test_checkins_every_two_weeks_and_monthly_report_to_the_caio(
    chat: Chat, clock: ManualClock
) -> None:
    await team(chat, "juno")
    await chat.say("/channel juniors")
    out = await chat.say(
        "/caio checkin setup every 2 weeks on fri at 15:00 tz UTC window 2h reminders 0 "
        'participants @juno questions "What did you try with AI this week?"'
    )
    assert "every 2 weeks on fri at 15:00 UTC" in out and "Next: Fri 27 Nov 15:00 UTC" in out
    await chat.say("/channel leads")
    out = await chat.say(
        "/caio checkin setup monthly on 1st mon at 10:00 tz UTC report caio participants @lee "
        'questions "Where is AI on your roadmap?"'
    )
    assert "monthly on the first Monday at 10:00 UTC" in out and "Next: Mon 07 Dec 10:00 UTC" in out
    engine = Engine(chat.bot)
    fired: list[str] = []
    day = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    while day < datetime(2027, 1, 6, tzinfo=UTC):
        for hour in (10, 12, 15, 17):
            clock.set(day.replace(hour=hour))
            await engine.run_due(clock.now())
            fired += [ln for ln in chat.pop().splitlines() if "*Check-in* for" in ln]
        day += timedelta(days=1)
    assert [f.split(" for ")[1][:10] for f in fired] == [
        "Fri 27 Nov",
        "Mon 07 Dec",
        "Fri 11 Dec",
        "Fri 25 Dec",
        "Mon 04 Jan",
    ]
    await chat.say("/channel leads")
    await chat.say("/as lee lead")
    assert "Thanks lee: that's early" in await chat.say("/caio checkin answer pilots in Q1")


async def test_turning_off_a_share_schedule_that_is_not_there_says_so(chat: Chat) -> None:
    await chat.say("/as dana caio")
    out = await chat.say("/caio share schedule off")
    assert "There is no share schedule to turn off." in out and "turned off" not in out
    await chat.say("/caio share schedule on tue at 10:00 tz UTC")
    assert "Share posts turned off; the queue is kept." in await chat.say(
        "/caio share schedule off"
    )
