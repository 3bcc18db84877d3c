"""A stand-up as a team lives it in the console: set up, prompted at 09:30 local, answered
by DM reply or command, reminded, summarised; fired once however many workers look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from tests.conftest import Chat
from tests.scheduler.helpers import reply_in_dm, set_client, team, workers

# Wed 25 Nov 2026, 09:30 in Berlin (UTC+1)
FIRE = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)


async def test_prompt_answer_remind_summarise_once(chat: Chat, clock: ManualClock) -> None:
    await team(chat, "dana", "sam", "kim")
    await set_client(chat.bot, quiet_hours="20:00-08:00")
    out = await chat.say(
        "/caio standup setup at 09:30 on mon-fri tz Europe/Berlin window 4h reminders 1 "
        "participants @dana @sam @kim"
    )
    assert "Stand-up set up" in out and "on mon-fri at 09:30 Europe/Berlin" in out
    assert "Participants: dana, kim, sam" in out
    assert "Next: Wed 25 Nov 09:30 Europe/Berlin" in out
    await chat.say("/as kim")
    await chat.say("/caio standup tz America/Los_Angeles")  # 11:30 Berlin is 02:30 for kim

    first, second = workers(chat.bot)
    clock.set(FIRE - timedelta(minutes=1))
    await first.run_due(clock.now())
    assert chat.pop() == ""  # not yet
    clock.set(FIRE)
    await first.run_due(clock.now())
    await second.run_due(clock.now())
    await first.run_due(clock.now())
    prompted = chat.pop()
    assert prompted.count("Stand-up* for Wed 25 Nov: asking dana, kim, sam") == 1
    for name in ("dana", "sam", "kim"):
        assert prompted.count(f"[#@{name}] caio-bot:") == 1
    assert "1. What did you get done yesterday?" in prompted

    thanks = await reply_in_dm(
        chat, "dana", "yesterday: eval harness | today: prompt caching | blockers: none"
    )
    assert "Thanks dana: recorded for Wed 25 Nov." in thanks

    clock.set(FIRE + timedelta(hours=2))  # the one reminder, halfway through the window
    await second.run_due(clock.now())
    await first.run_due(clock.now())
    reminders = chat.pop()
    assert reminders.count("Reminder: your stand-up answer") == 1
    assert "[#@sam] caio-bot:" in reminders  # not dana (answered), not kim (quiet hours)

    await chat.say("/as sam")
    await chat.say("/caio standup answer shipped the retriever\nnew eval set\nwaiting on GPU quota")
    clock.set(FIRE + timedelta(hours=4))
    await first.run_due(clock.now())
    await second.run_due(clock.now())
    summary = chat.pop()
    assert summary.count("Stand-up summary · Wed 25 Nov (2 of 3 answered)") == 1
    assert "Answered: dana, sam" in summary and "No answer: kim" in summary
    assert "• dana: prompt caching" in summary and "• sam: new eval set" in summary
    assert "Blockers:\n  • sam: waiting on GPU quota (open 2h)" in summary

    clock.set(FIRE + timedelta(hours=5))
    await first.run_due(clock.now())
    assert "Reminder" not in chat.pop()  # never after the window


async def test_early_answers_count_for_the_next_day(chat: Chat, clock: ManualClock) -> None:
    await team(chat, "dana", "sam")
    await chat.say("/caio standup setup at 09:30 tz Europe/Berlin participants @dana @sam")
    await chat.say("/as dana")
    early = await chat.say("/caio standup answer today: write the eval report | blockers: none")
    assert "that's early, so it counts for Wed 25 Nov's stand-up" in early
    clock.set(FIRE)
    engine, _ = workers(chat.bot)
    await engine.run_due(clock.now())
    prompted = chat.pop()
    assert "asking sam." in prompted and "[#@dana]" not in prompted
    clock.set(FIRE + timedelta(hours=4))
    await engine.run_due(clock.now())
    assert "• dana: write the eval report" in chat.pop()
    await chat.say("/as lee lead")
    assert "answered early: dana" in await chat.say("/caio standup why")


async def test_setup_show_pause_resume_now_off(chat: Chat, clock: ManualClock) -> None:
    await team(chat, "dana")
    await chat.say("/caio standup setup at 10:00 on mon,wed,fri tz Europe/Berlin report thread")
    shown = await chat.say("/caio standup show")
    assert "on mon,wed,fri at 10:00 Europe/Berlin" in shown and "summary to a thread" in shown
    assert "paused" in await chat.say("/caio standup pause")
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    engine, _ = workers(chat.bot)
    await engine.run_due(clock.now())
    assert "asking" not in chat.pop()
    assert "skipped 2026-11-25: paused" in await chat.say("/caio standup why")
    await chat.say("/caio standup resume")
    now_out = await chat.say("/caio standup now")
    assert "Stand-up* for Wed 25 Nov: asking dana, dev, lee" in now_out
    assert "the summary will be in this thread" in now_out
    assert "turned off" in await chat.say("/caio standup off")
    assert "There is no standup in this channel" in await chat.say("/caio standup show")


async def test_malformed_input_gets_usage_not_a_traceback(chat: Chat) -> None:
    await team(chat, "dana")
    for line, hint in [
        ("/caio standup setup at 25:00", "not a time"),
        ("/caio standup setup tz Mars/Olympus", "unknown time zone"),
        ("/caio standup setup on funday", "not a day"),
        ('/caio standup setup questions "unclosed', "a quote is not closed"),
        ("/caio standup setup window forever", "not a duration"),
        ("/caio standup setup escalate 0h", "`escalate` needs a time above zero"),
        ("/caio standup setup participants @nobody", "I don't know @nobody yet"),
        ("/caio standup setup at 9am", "Stand-up set up"),
        ("/caio standup skip someday", "not a date"),
        ("/caio standup tz Nowhere", "unknown time zone"),
        ("/caio standup away 2026-13-01", "not a date"),
        ("/caio standup banana", "Usage: `/caio standup setup|show"),
        ("/caio checkin setup monthly on 32nd", "monthly needs a day"),
    ]:
        out = await chat.say(line)
        assert hint in out, (line, out)
        assert "Traceback" not in out and "went wrong" not in out
    await chat.say("/as dana")
    assert "Only the CAIO, a lead or an admin" in await chat.say("/caio standup setup at 9:00")


async def test_days_may_follow_the_time_without_on(chat: Chat) -> None:
    await chat.say("/as dana caio")
    out = await chat.say("/caio standup setup at 10:15 tue,thu")
    assert "When: on tue,thu at 10:15" in out
    assert "unknown setting `lunchtime`" in await chat.say("/caio standup setup at 10:15 lunchtime")


async def test_an_early_answer_counts_for_the_next_standup_that_runs(
    chat: Chat, clock: ManualClock
) -> None:
    """Skip dates, holidays and pauses are passed over: the answer waits for a day that
    prompts, instead of being filed under one that never does."""
    await set_client(chat.bot, country="GB", region="ENG", timezone="Europe/London")
    await team(chat, "dana", "sam")
    clock.set(datetime(2026, 12, 23, 12, 0, tzinfo=UTC))  # Wed, after its 09:30
    await chat.say("/caio standup setup at 09:30 tz Europe/London participants @dana @sam")
    await chat.say("/caio standup skip 2026-12-24")  # then Christmas, a weekend, Boxing Day
    await chat.say("/as dana")
    early = await chat.say("/caio standup answer today: write the eval report | blockers: none")
    assert "that's early, so it counts for Tue 29 Dec's stand-up" in early

    engine, _ = workers(chat.bot)
    for day in (24, 25, 28, 29):
        clock.set(datetime(2026, 12, day, 9, 30, tzinfo=UTC))
        await engine.run_due(clock.now())
    prompted = chat.pop()
    assert prompted.count("*Stand-up* for") == 1
    assert "Stand-up* for Tue 29 Dec: asking sam." in prompted and "[#@dana]" not in prompted
    clock.set(datetime(2026, 12, 29, 13, 30, tzinfo=UTC))
    await engine.run_due(clock.now())
    assert "• dana: write the eval report" in chat.pop()

    await chat.say("/as lee lead")
    await chat.say("/caio standup pause")
    await chat.say("/as dana")
    paused = await chat.say("/caio standup answer today: more evals")
    assert "The stand-up here is paused, so there is no next one to count that for" in paused


async def test_labelled_and_piped_answers_fit_the_teams_own_questions(
    chat: Chat, clock: ManualClock
) -> None:
    """With `Done?` `Next?` `Blockers?`, the labels the prompt suggests land on the
    matching question, and `a|b|c` splits with or without spaces."""
    await team(chat, "dana", "sam", "kim")
    await chat.say(
        "/caio standup setup at 09:30 tz Europe/Berlin participants @dana @sam @kim "
        'questions "Done?" "Next?" "Blockers?"'
    )
    engine, _ = workers(chat.bot)
    clock.set(FIRE)
    await engine.run_due(clock.now())
    assert "Reply here (one line per question, or `yesterday: … | today: … | blockers: …`)" in (
        chat.pop()
    )
    noted = await reply_in_dm(chat, "dana", "today: prompt caching | blockers: GPU quota")
    assert "Blocker noted: GPU quota." in noted
    await reply_in_dm(chat, "sam", "shipped the retriever|new eval set|nope")
    await reply_in_dm(chat, "kim", "yesterday: docs | today: load tests")
    clock.set(FIRE + timedelta(hours=4))
    await engine.run_due(clock.now())
    summary = chat.pop()
    assert "• dana: prompt caching" in summary
    assert "• kim: load tests" in summary
    assert "• sam: new eval set" in summary
    assert "• dana: GPU quota" in summary and "sam: nope" not in summary


async def test_a_new_time_after_todays_standup_starts_tomorrow(
    chat: Chat, clock: ManualClock
) -> None:
    """Moved to 09:50 at 09:40, after the 09:30 stand-up ran: no second one today."""
    await team(chat, "dana")
    await chat.say("/caio standup setup at 09:30 on mon-fri tz Europe/Berlin participants @dana")
    engine, _ = workers(chat.bot)
    clock.set(FIRE)
    await engine.run_due(clock.now())
    assert "Stand-up* for Wed 25 Nov" in chat.pop()
    clock.set(FIRE + timedelta(minutes=10))
    moved = await chat.say("/caio standup setup at 09:50")
    assert "Wed 25 Nov's stand-up already ran, so the new time applies from Thu 26 Nov." in moved
    assert "Next: Thu 26 Nov 09:50 Europe/Berlin" in moved
    for minutes in (20, 21, 60):
        clock.set(FIRE + timedelta(minutes=minutes))
        await engine.run_due(clock.now())
    assert "*Stand-up* for" not in chat.pop()
    clock.set(datetime(2026, 11, 26, 8, 50, tzinfo=UTC))
    await engine.run_due(clock.now())
    assert "Stand-up* for Thu 26 Nov" in chat.pop()


async def test_a_window_that_ends_on_another_day_names_the_day(chat: Chat) -> None:
    """A check-in's 1-day window closes at the time it opened: without the day, "until
    10:00" reads as now."""
    await team(chat, "dana")
    await chat.say("/caio checkin setup weekly on fri at 16:00 tz UTC participants @dana")
    kickoff = await chat.say("/caio checkin now")
    assert "Answers until Wed 25 Nov 10:00 UTC." in kickoff
    assert "Open until Wed 25 Nov 10:00 UTC." in kickoff
    await chat.say("/caio standup setup tz UTC window 4h participants @dana")
    assert "Answers until 14:00 UTC." in await chat.say("/caio standup now")


async def test_a_standup_window_stays_under_a_day(chat: Chat) -> None:
    await team(chat, "dana")
    for window in ("99h", "24h", "1d"):
        out = await chat.say(f"/caio standup setup window {window}")
        assert "the window must be between 5m and 23h59m" in out, (window, out)
    assert "Window: 23h59m" in await chat.say("/caio standup setup window 23h59m")
    assert "Window: 3d" in await chat.say("/caio checkin setup weekly window 3d")


async def test_skip_refuses_past_dates_and_names_another_years_date(chat: Chat) -> None:
    await team(chat, "dana")
    await chat.say("/caio standup setup at 09:30 tz UTC")
    out = await chat.say("/caio standup skip 2020-01-01")
    assert "2020-01-01 is in the past: skip today or a later day." in out
    assert "2020" not in await chat.say("/caio standup show")
    assert "Stand-up on Thu 24 Dec will be skipped." in await chat.say(
        "/caio standup skip 2026-12-24"
    )
    assert "Stand-up on Fri 01 Jan 2027 will be skipped." in await chat.say(
        "/caio standup skip 2027-01-01"
    )
    await chat.say("/as dana")
    assert "Noted: away Thu 31 Dec to Mon 04 Jan 2027." in await chat.say(
        "/caio standup away 2026-12-31..2027-01-04"
    )


async def test_setup_refuses_what_it_cannot_read_and_names_the_settings(chat: Chat) -> None:
    await team(chat, "dana")
    settings = "the settings are at, on, tz, window, participants, questions, report"
    for line, said in [
        ("/caio standup setup on mon-sun-tue", "not a day: 'mon-sun-tue'"),
        ("/caio standup setup at 09:00 frobnicate 3", "unknown setting `frobnicate`: " + settings),
        ("/caio standup setup frobnicate 3", "unknown setting `frobnicate`: " + settings),
        ("/caio standup tz", "Usage: `/caio standup tz <zone>`"),
    ]:
        out = await chat.say(line)
        assert said in out, (line, out)
        assert "set up" not in out and "unknown time zone" not in out
    assert "When: on mon-fri at 09:30" in await chat.say("/caio standup setup on daily")
    assert "When: on mon-fri at 08:00" in await chat.say("/caio standup setup at 08:00 daily")
