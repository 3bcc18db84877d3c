"""A Slack outage at the moment a scheduled send is due: the fire stays claimed (one
worker sends it), is sent again by a later sweep once Slack is back, and one that still
fails when the grace window ends says so in `why`. Retries after a large outage go out
concurrently, a reminder that failed part-way reaches only those it missed, and a worker
that dies while sending or mid-retry does not leave the fire "sent" or "trying again": the
next sweep after its heartbeat lapses sends it, while a live worker keeps its fire until
its lease ends. The real Slack adapter against the Slack stand-in's scripted 503s and held
calls, engines named "a", "b" and "c" whose heartbeats the tests write, a manual clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from scheduler import checkins
from scheduler.engine import Engine, Tally
from tests.scheduler.helpers import beat
from tests.slack.conftest import CAIO, DANA, GENERAL, SlackHarness

ONE_ATTEMPT = 5  # the Slack client's first try and its retry handler's four retries
FIRE = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


async def _due(slack: SlackHarness, *engines: Engine) -> None:
    """A sweep of each worker, each alive (its heartbeat fresh) as a sweeping worker is."""
    for engine in engines:
        await beat(slack.bot, engine.worker)
        await engine.run_due(slack.bot.clock.now())
    await slack.settle()


async def _start(slack: SlackHarness, engine: Engine) -> asyncio.Task[Tally]:
    """A live worker's sweep, left running in the background."""
    await beat(slack.bot, engine.worker)
    return asyncio.create_task(engine.run_due(slack.bot.clock.now()))


async def _why(slack: SlackHarness, channel: str = GENERAL) -> str:
    await slack.command("standup why", user=CAIO, channel=channel)
    await slack.settle()
    return slack.api.calls("response_url")[-1].text


def _prompts(slack: SlackHarness) -> list[str]:
    return [c.text for c in slack.api.delivered("chat.postMessage") if "Hi " in c.text]


def _kickoffs(slack: SlackHarness) -> list[str]:
    return [c.text for c in slack.api.delivered("chat.postMessage") if "Stand-up*" in c.text]


async def _standup(slack: SlackHarness, *channels: str) -> tuple[Engine, Engine]:
    await slack.command("help", user=DANA)  # dana has used the bot: she can take part
    await slack.settle()
    for channel in channels or (GENERAL,):
        setup = "standup setup at 10:30 tz UTC participants @carla @dana"
        await slack.command(setup, user=CAIO, channel=channel)
        await slack.settle()
        assert "Stand-up set up" in slack.api.delivered("chat.postMessage")[-1].text
    return Engine(slack.bot, worker="a"), Engine(slack.bot, worker="b")


async def test_a_standup_slack_refused_is_sent_once_when_slack_is_back(
    slack: SlackHarness, clock: ManualClock
) -> None:
    workers = await _standup(slack)
    clock.set(FIRE)
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)  # the kick-off
    await _due(slack, *workers)
    assert _kickoffs(slack) == [] and _prompts(slack) == []
    why = await _why(slack)
    assert "not sent 2026-11-24 10:30 UTC: the kick-off and the prompts to" in why
    assert "carla" in why and "dana" in why and "trying again" in why

    clock.advance(timedelta(minutes=1))  # Slack is back
    await _due(slack, *workers)
    assert len(_kickoffs(slack)) == 1
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)

    clock.advance(timedelta(minutes=5))
    await _due(slack, *workers)
    assert len(_kickoffs(slack)) == 1 and len(_prompts(slack)) == 2


async def test_a_standup_still_refused_after_the_grace_window_says_it_gave_up(
    slack: SlackHarness, clock: ManualClock
) -> None:
    workers = await _standup(slack)
    clock.set(FIRE)
    slack.api.fail_next("chat.postMessage", 503, times=2 * ONE_ATTEMPT)
    await _due(slack, *workers)
    clock.advance(timedelta(minutes=1))
    await _due(slack, *workers)  # the retry fails too
    assert len([c for c in slack.api.calls("chat.postMessage") if c.failed]) == 2 * ONE_ATTEMPT
    clock.advance(timedelta(minutes=30))  # back after the grace window: no late stand-up
    await _due(slack, *workers)
    assert _kickoffs(slack) == []
    why = await _why(slack)
    assert "not sent 2026-11-24 10:30 UTC" in why and "trying again" not in why
    assert "gave up: still failing 30 minutes after it was due" in why


async def test_after_an_outage_failed_standups_are_retried_at_once_within_a_bound(
    slack: SlackHarness, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of failed stand-ups must not wait for each other's sends (the last would
    pass the grace window): here three channels, two sends at a time."""
    monkeypatch.setattr(checkins, "SENDS_AT_ONCE", 2)
    channels = ("CDEV1", "CDEV2", "CDEV3")
    a, b = await _standup(slack, *channels)
    clock.set(FIRE)
    failures = 3 * ONE_ATTEMPT
    slack.api.fail_next("chat.postMessage", 503, times=failures)  # the three kick-offs
    await _due(slack, a, b)
    assert _kickoffs(slack) == []

    clock.advance(timedelta(minutes=1))  # Slack is back, but slow
    slow = slack.api.hold("chat.postMessage")
    retrying = await _start(slack, a)
    before = len(slack.api.calls("chat.postMessage"))
    await slack.api.wait_for("chat.postMessage", before + 2)  # two kick-offs in flight
    assert len(slack.api.calls("chat.postMessage")) == before + 2  # the third waits its turn
    slow.set()
    await retrying
    await _due(slack, b)  # the other worker finds nothing left to send
    assert len(_kickoffs(slack)) == 3
    assert Counter(p.split("\n")[1] for p in _prompts(slack)) == {"Hi carla!": 3, "Hi dana!": 3}
    for channel in channels:
        assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack, channel)


async def test_a_standup_whose_prompts_failed_part_way_prompts_only_those_it_missed(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    slow = slack.api.hold("conversations.open")
    firing = await _start(slack, a)
    await slack.api.wait_for("conversations.open")  # carla's DM, after the kick-off
    slack.api.fail_next("conversations.open", 503, times=ONE_ATTEMPT)  # dana's is refused
    slow.set()
    await firing
    await slack.settle()
    assert [p.split("\n")[1] for p in _prompts(slack)] == ["Hi carla!"]
    assert "the prompts to dana failed" in await _why(slack)

    clock.advance(timedelta(minutes=1))
    await _due(slack, a, b)
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert len(_kickoffs(slack)) == 1


def _reminders(slack: SlackHarness) -> Counter[str]:
    """Reminders delivered, by DM channel (one per person)."""
    posted = slack.api.delivered("chat.postMessage")
    return Counter(c.args["channel"] for c in posted if "Reminder:" in c.text)


async def test_a_reminder_that_failed_part_way_reaches_only_those_it_missed(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    await _due(slack, a, b)
    assert len(_prompts(slack)) == 2

    clock.set(FIRE + timedelta(hours=2))  # the one reminder of a 4h window
    slow = slack.api.hold("chat.postMessage")
    reminding = await _start(slack, a)
    await slack.api.wait_for("chat.postMessage", len(slack.api.calls("chat.postMessage")) + 1)
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)  # the outage begins
    slow.set()  # carla's reminder arrives; dana's is refused
    await reminding
    await slack.settle()
    assert _reminders(slack) == {"DCARLA": 1}

    clock.advance(timedelta(minutes=1))  # Slack is back
    await _due(slack, a, b)
    assert _reminders(slack) == {"DCARLA": 1, "DDANA": 1}
    clock.advance(timedelta(minutes=5))
    await _due(slack, a, b)
    assert _reminders(slack) == {"DCARLA": 1, "DDANA": 1}


async def _stops_sending(slack: SlackHarness, worker: Engine) -> None:
    """The worker sends (or retakes) the stand-up and its sweep stops while Slack has its
    kick-off: nothing of it runs after that, as after a kill -9. Its heartbeat stops too,
    unless the test goes on writing it (a live worker that never wrote the outcome)."""
    slack.api.fail_next("chat.postMessage", 503)  # what the stopping sweep never hears
    stuck = slack.api.hold("chat.postMessage")
    before = len(slack.api.calls("chat.postMessage"))
    retrying = await _start(slack, worker)
    await slack.api.wait_for("chat.postMessage", before + 1)
    retrying.cancel()
    await asyncio.gather(retrying, return_exceptions=True)
    stuck.set()


async def test_a_retry_its_live_worker_never_finished_is_taken_again_once_its_lease_lapses(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)
    await _due(slack, a, b)
    clock.advance(timedelta(minutes=1))
    await _stops_sending(slack, a)

    clock.advance(timedelta(minutes=5))  # a is alive and may still be sending: its own
    await beat(slack.bot, "a")
    await _due(slack, b)
    assert _kickoffs(slack) == []
    assert "trying again" in await _why(slack)

    clock.advance(timedelta(minutes=5))  # a has not written the outcome within its lease
    await beat(slack.bot, "a")
    assert "its retry by a stopped before it finished" in await _why(slack)
    await _due(slack, b)
    assert len(_kickoffs(slack)) == 1
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)


async def test_a_retry_whose_worker_was_killed_is_taken_again_once_its_heartbeat_lapses(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)
    await _due(slack, a, b)
    clock.advance(timedelta(minutes=1))
    await _stops_sending(slack, a)  # killed mid-retry: no heartbeat after this one

    clock.advance(timedelta(seconds=15))  # b's next sweep: a was seen 15 s ago
    await _due(slack, b)
    assert _kickoffs(slack) == []
    assert "trying again" in await _why(slack)

    clock.advance(timedelta(seconds=30))  # a not seen for 45 s: presumed dead
    assert "its retry by a stopped before it finished" in await _why(slack)
    await _due(slack, b)
    assert len(_kickoffs(slack)) == 1
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)


async def test_a_retry_whose_worker_died_gives_up_with_the_reason_after_the_grace_window(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)
    await _due(slack, a, b)
    clock.advance(timedelta(minutes=1))
    await _stops_sending(slack, a)

    clock.set(FIRE + timedelta(minutes=31))  # the next sweep comes after the grace window
    await _due(slack, b)
    assert _kickoffs(slack) == []
    why = await _why(slack)
    assert "trying again" not in why
    assert "gave up: its retry by a stopped before it finished" in why
    assert "not sent 30 minutes after it was due" in why


async def test_a_retry_hanging_on_slack_is_cut_off_and_recorded_within_its_lease(
    slack: SlackHarness, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live worker must record the outcome before its lease lapses, or a second worker
    would send the fire too. The bound is shortened here (it is real time, 5 minutes)."""
    monkeypatch.setattr("scheduler.claims.SEND_BOUND", timedelta(milliseconds=200))
    a, b = await _standup(slack)
    clock.set(FIRE)
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)
    await _due(slack, a, b)
    clock.advance(timedelta(minutes=1))
    slack.api.hold("chat.postMessage")  # Slack takes the kick-off and never answers
    async with asyncio.timeout(10):
        await _due(slack, a)
    why = await _why(slack)
    assert "cut off after" in why and "trying again" in why
    assert "stopped before it finished" not in why


async def test_a_standup_whose_worker_was_killed_sending_is_sent_by_another_within_a_minute(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    await _stops_sending(slack, a)  # killed: no heartbeat after this one
    why = await _why(slack)
    assert "sending since 10:30 UTC" in why and "prompted" not in why

    clock.advance(timedelta(seconds=15))  # b's next sweep: a was seen 15 s ago
    await _due(slack, b)
    assert _kickoffs(slack) == [] and _prompts(slack) == []

    clock.advance(timedelta(seconds=15))  # a not seen for 30 s: not yet presumed dead
    await _due(slack, b)
    assert _kickoffs(slack) == [] and "sending since 10:30 UTC" in await _why(slack)

    clock.advance(timedelta(seconds=15))  # 45 s: dead, and its fire is free
    why = await _why(slack)
    assert "its worker a stopped before it was sent" in why and "prompted" not in why
    await _due(slack, b)
    assert len(_kickoffs(slack)) == 1
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)
    clock.advance(timedelta(minutes=11))
    await _due(slack, b)
    assert len(_kickoffs(slack)) == 1 and len(_prompts(slack)) == 2


async def test_a_standup_its_live_worker_never_confirmed_is_sent_by_another_once_its_lease_lapses(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    await _stops_sending(slack, a)
    why = await _why(slack)
    assert "sending since 10:30 UTC" in why and "prompted" not in why

    clock.advance(timedelta(minutes=5))  # a is alive and may still be sending: its own
    await beat(slack.bot, "a")
    await _due(slack, b)
    assert _kickoffs(slack) == [] and _prompts(slack) == []

    clock.set(FIRE + timedelta(minutes=10))  # a has not confirmed it within the lease
    await beat(slack.bot, "a")
    why = await _why(slack)
    assert "its worker a stopped before it was sent" in why and "prompted" not in why
    c = Engine(slack.bot, worker="c")
    await beat(slack.bot, "b", "c")
    await asyncio.gather(b.run_due(clock.now()), c.run_due(clock.now()))  # one of them takes it
    await slack.settle()
    assert len(_kickoffs(slack)) == 1
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)
    clock.advance(timedelta(minutes=11))
    await _due(slack, a, b, c)
    assert len(_kickoffs(slack)) == 1 and len(_prompts(slack)) == 2


async def test_a_standup_whose_worker_died_sending_gives_up_after_the_grace_window(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    await _stops_sending(slack, a)

    clock.set(FIRE + timedelta(minutes=31))  # no sweep ran until after the grace window
    await _due(slack, b)
    assert _kickoffs(slack) == []
    why = await _why(slack)
    assert "not sent (due 2026-11-24 10:30 UTC): its worker a stopped before it was sent" in why
    assert "gave up 30 minutes after it was due" in why


async def test_a_reminder_whose_worker_died_reaches_only_those_it_missed(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    await _due(slack, a, b)
    clock.set(FIRE + timedelta(hours=2))  # the one reminder of a 4h window
    held = slack.api.hold("chat.postMessage")
    reminding = await _start(slack, a)
    before = len(slack.api.calls("chat.postMessage"))
    await slack.api.wait_for("chat.postMessage", before + 1)
    slack.api.fail_next("chat.postMessage", 503)  # what the dying worker never hears
    held.set()  # carla's reminder arrives and is recorded
    await slack.api.wait_for("chat.postMessage", before + 2)  # dana's is in flight
    reminding.cancel()
    await asyncio.gather(reminding, return_exceptions=True)
    await slack.settle()
    assert _reminders(slack) == {"DCARLA": 1}

    clock.advance(timedelta(minutes=1))  # a, killed, is presumed dead
    await _due(slack, b)
    assert _reminders(slack) == {"DCARLA": 1, "DDANA": 1}


async def test_a_live_worker_slow_to_send_keeps_its_fire(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    slow = slack.api.hold("chat.postMessage")  # Slack rate-limits a busy minute
    firing = await _start(slack, a)
    await slack.api.wait_for("chat.postMessage")
    for _ in range(20):  # five minutes of b's sweeps, while a's heartbeat goes on
        clock.advance(timedelta(seconds=15))
        await beat(slack.bot, "a")
        await _due(slack, b)
    assert "sending since 10:30 UTC" in await _why(slack)
    slow.set()
    await firing
    await _due(slack, b)
    assert len(_kickoffs(slack)) == 1
    assert sorted(p.split("\n")[1] for p in _prompts(slack)) == ["Hi carla!", "Hi dana!"]
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)


async def test_a_standup_hanging_on_slack_is_cut_off_and_recorded_within_its_lease(
    slack: SlackHarness, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound is shortened here (it is real time, 5 minutes)."""
    monkeypatch.setattr("scheduler.claims.SEND_BOUND", timedelta(milliseconds=200))
    a, b = await _standup(slack)
    clock.set(FIRE)
    stuck = slack.api.hold("chat.postMessage")  # Slack takes the kick-off and never answers
    slack.api.fail_next("chat.postMessage", 503)  # nor delivers it
    async with asyncio.timeout(10):
        await _due(slack, a)
    why = await _why(slack)
    assert "cut off after" in why and "trying again" in why
    stuck.set()
    clock.advance(timedelta(minutes=1))
    await _due(slack, b)
    assert len(_kickoffs(slack)) == 1
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)


async def test_a_standup_retaken_from_a_dead_worker_does_not_say_sent_while_retrying(
    slack: SlackHarness, clock: ManualClock
) -> None:
    a, b = await _standup(slack)
    clock.set(FIRE)
    await _stops_sending(slack, a)
    clock.set(FIRE + timedelta(minutes=1))
    slow = slack.api.hold("chat.postMessage")
    retrying = await _start(slack, b)
    await slack.api.wait_for("chat.postMessage", len(slack.api.calls("chat.postMessage")) + 1)
    why = await _why(slack)
    assert "its worker a stopped before it was sent; trying again" in why
    assert "prompted" not in why
    slow.set()
    await retrying
    assert "sent 2026-11-24 10:30 UTC: prompted carla, dana" in await _why(slack)


async def test_a_worker_stopping_starts_no_sweep_after_the_one_it_waits_for(
    slack: SlackHarness, clock: ManualClock
) -> None:
    """Once stopped, its process deletes its heartbeat, freeing what it holds to others at
    once: a wake-up that arrived during its last sweep must not send after that."""
    a, b = await _standup(slack)
    clock.set(FIRE)
    await beat(slack.bot, "a")
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)  # the kick-off fails
    slow = slack.api.hold("chat.postMessage")
    waking = asyncio.create_task(a.wake())  # the 10:30 wake-up
    await slack.api.wait_for("chat.postMessage")
    clock.advance(timedelta(minutes=1))
    await a.wake()  # the sweep's wake-up, arriving meanwhile, waits for this sweep
    stopping = asyncio.create_task(a.stop())
    slow.set()
    await stopping
    await waking
    await slack.settle()
    assert _kickoffs(slack) == [] and "trying again" in await _why(slack)
    await _due(slack, b)  # the next worker's sweep sends it, once
    assert len(_kickoffs(slack)) == 1
