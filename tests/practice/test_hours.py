"""`/caio hours`: time against the retainer, burn rate, projection, alerts once each, and
the one-click log after answering an escalation. The clock is 24 Nov 2026, 10:00 UTC."""

from __future__ import annotations

import pytest

from bot.db.models import Role
from bot.events import Action, Actor, Address
from bot.practice.hours import parse_duration
from tests.conftest import Chat
from tests.practice.conftest import OTHER, Teams


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1h30m", 90),
        ("1h30", 90),
        ("90m", 90),
        ("1.5h", 90),
        ("2h", 120),
        ("2hrs", 120),
        ("45min", 45),
        ("45mins", 45),
        ("1H15M", 75),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["soon", "0m", "h", "25h", "1h75", "90", "-1h"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


async def test_month_against_retainer_with_alerts_once_each(chat: Chat, teams: Teams) -> None:
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio config set retainer 10")
    first = await chat.say("/caio hours log 7h architecture review of the RAG service")
    assert "Logged 7 h for Demo Co: architecture review of the RAG service" in first
    assert "7 h of 10 h retainer used in 2026-11 (70%)" in first
    assert "#caio-queue" not in first

    eighty = await chat.say("/caio hours log 1h pairing with ana on evals")
    assert (
        "[#caio-queue] caio-bot:\n  Demo Co is at 80% of its 2026-11 retainer: 8 h of 10 h"
        in eighty
    )
    # 8 h over the first 23.4 days of a 30-day month
    assert "burn rate 20 m/day, projected 10 h 15 m by month end (102%)" in eighty

    assert "#caio-queue" not in await chat.say("/caio hours log 30m prompt review")
    full = await chat.say("/caio hours log 1h30m vendor call")
    assert "has used its whole retainer for 2026-11: 10 h of 10 h" in full
    assert "at 80%" not in full
    assert "#caio-queue" not in await chat.say("/caio hours log 1h incident follow-up")

    shown = await chat.say("/caio hours")
    assert "11 h of 10 h retainer used in 2026-11 (110%)" in shown
    assert "24 Nov · 1 h 30 m · vendor call" in shown


async def test_bad_input_and_members(chat: Chat, teams: Teams) -> None:
    assert "Only the CAIO or an admin can use `/caio hours log`" in await chat.say(
        "/caio hours log 1h x"
    )
    await teams.be("dana", Role.CAIO)
    assert "Usage: `/caio hours log <duration" in await chat.say("/caio hours log soon review")
    assert "Usage: `/caio hours log <duration" in await chat.say("/caio hours log 1h")
    assert "at most 24 h at a time" in await chat.say("/caio hours log 1000h review")
    assert "no retainer set" in await chat.say("/caio hours")


async def test_log_for_another_client_only_where_caio(chat: Chat, teams: Teams) -> None:
    await teams.be("dana", Role.CAIO)
    # Not their client: a word of the note, logged here, as the reply says.
    kept = await chat.say(f"/caio hours log 1h roadmap workshop {OTHER}")
    assert f"Logged 1 h for Demo Co: roadmap workshop {OTHER}" in kept
    await teams.be("dana", Role.CAIO, client=OTHER)
    await teams.be("dana", Role.CAIO)
    logged = await chat.say(f"/caio hours log 1h roadmap workshop {OTHER}")
    assert "Logged 1 h for Globex: roadmap workshop" in logged
    assert "1 h logged in 2026-11" in await chat.say("/caio hours")  # only the first


async def test_answering_an_escalation_logs_30_minutes_in_one_click(
    chat: Chat, teams: Teams
) -> None:
    await chat.say("/caio escalate which embedding model for German support tickets?")
    await teams.be("dana", Role.CAIO)
    teams.go("caio-queue")
    answered = await chat.say("/caio answer 1 multilingual-e5; test on 50 real tickets first.")
    button = chat.button(answered, "Log 30m")

    await teams.be("dev")
    assert "Only the CAIO or an admin" in await chat.say(button)
    await teams.be("dana", Role.CAIO)
    logged = await chat.say(button)
    assert "Logged 30 m for Demo Co: answered escalation #1" in logged
    assert "answered escalation #1" in await chat.say("/caio hours")


async def test_log_30m_works_from_the_caios_other_workspace(chat: Chat, teams: Teams) -> None:
    """The confirmation may reach the CAIO far from the client (a direct message placed in
    their own workspace): the click still logs to the escalation's client."""
    await chat.say("/caio escalate which embedding model for German support tickets?")
    await teams.be("dana", Role.CAIO, client=OTHER)
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio answer 1 multilingual-e5; test on 50 real tickets first.")

    elsewhere = Address("console", OTHER, "dana-dm")
    click = Action("hours.log_escalation", "1", Actor("console", "dana", "dana"), elsewhere, "0")
    await chat.bot.dispatch(click, chat.adapter)

    assert "Logged 30 m for Demo Co: answered escalation #1" in chat.pop()


async def test_entries_and_totals_are_shown_to_the_minute(chat: Chat, teams: Teams) -> None:
    """Entries rounded to a tenth (7.25 h → "7.2 h") did not add up to the total."""
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio config set retainer 20")
    assert "Logged 7 h 15 m for Demo Co" in await chat.say("/caio hours log 7.25h design review")
    await chat.say("/caio hours log 45m call")
    shown = await chat.say("/caio hours")
    assert "24 Nov · 7 h 15 m · design review" in shown and "24 Nov · 45 m · call" in shown
    assert "8 h of 20 h retainer used in 2026-11 (40%)" in shown
