"""Forms at the console: `/caio decide <title>` and `/caio standup setup` ask one field per
line, `/cancel` drops the form, and the answers land where the one-line form would."""

from __future__ import annotations

import pytest

from adapters.console import PLATFORM
from bot.db.models import Role
from bot.directory import set_role
from bot.events import Actor
from tests.conftest import Chat


class Teams:
    """Be someone with a role in the console's client (`demo`)."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    async def be(self, name: str, role: Role) -> None:
        actor = Actor(PLATFORM, name, name)
        async with self.chat.bot.db.session() as session:
            await set_role(session, "demo", actor, role)
        self.chat.adapter.state.actor = actor


@pytest.fixture
def teams(chat: Chat) -> Teams:
    return Teams(chat)


async def test_decide_with_a_title_asks_each_field_then_records(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    opened = await chat.say("/caio decide Adopt pgvector")
    assert "Decision: Adopt pgvector" in opened
    assert opened.rstrip().endswith("Context?")
    assert "Options (optional)?" in await chat.say("2M chunks; Postgres already runs")
    assert "Decision?" in await chat.say("")  # options are optional
    consequences = await chat.say("pgvector on the main cluster")
    assert "Consequences (optional)?" in consequences
    recorded = await chat.say("one database to run")
    assert "Decision recorded" in recorded
    assert "ADR-001" in recorded and "Adopt pgvector" in recorded
    shown = await chat.say("/caio decisions 1")
    assert "2M chunks; Postgres already runs" in shown
    assert "pgvector on the main cluster" in shown


async def test_required_fields_are_asked_again_and_cancel_drops_the_form(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("sam", Role.LEAD)
    await chat.say("/caio decide Adopt pgvector")
    again = await chat.say("   ")
    assert "Context is required" in again and again.rstrip().endswith("Context?")
    assert "cancelled" in await chat.say("/cancel")
    assert "none yet" in await chat.say("/caio decisions")


async def test_a_bare_decide_asks_for_the_title_too(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    assert (await chat.say("/caio decide")).rstrip().endswith("Title?")
    for answer in ("Evals before release", "regressions twice", "", "golden set of 30"):
        out = await chat.say(answer)
    out = await chat.say("")
    assert "Decision recorded" in out and "Evals before release" in out


async def test_another_command_leaves_the_form_and_runs(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    await chat.say("/caio decide Adopt pgvector")
    out = await chat.say("/caio decisions")
    assert "left unfinished" in out and "none yet" in out


async def test_one_line_decide_still_records_at_once(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    out = await chat.say("/caio decide Keep prompts in git | context: drift | decision: repo")
    assert "Decision recorded" in out and "?" not in out.splitlines()[-1]


async def test_members_get_no_form_they_could_not_submit(chat: Chat, teams: Teams) -> None:
    await teams.be("dana", Role.MEMBER)
    out = await chat.say("/caio decide Adopt pgvector")
    assert "Only the CAIO, a lead or an admin" in out and "Context?" not in out


async def test_standup_setup_form_goes_through_the_one_line_parser(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("sam", Role.LEAD)
    opened = await chat.say("/caio standup setup")
    assert "Stand-up setup" in opened
    assert opened.rstrip().endswith("Time and time zone [09:30 UTC]?")
    assert (await chat.say("10:15 Europe/Berlin")).rstrip().endswith("Days [mon-fri]?")
    await chat.say("mon,wed,fri")
    await chat.say("")  # window: keep 4h
    await chat.say("")  # participants: everyone
    out = await chat.say("What did you ship? | Anything blocking?")
    assert "Stand-up set up" in out
    shown = await chat.say("/caio standup show")
    assert "10:15" in shown and "Europe/Berlin" in shown
    assert "What did you ship?" in shown and "Anything blocking?" in shown
    again = await chat.say("/caio standup setup")
    assert "Time and time zone [10:15 Europe/Berlin]?" in again
    await chat.say("/cancel")


async def test_checkin_setup_form_asks_how_often_and_keeps_the_answer(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("sam", Role.LEAD)
    opened = await chat.say("/caio checkin setup")
    assert "Check-in setup" in opened
    assert "How often [weekly on fri]?" in await chat.say("16:00 Europe/Lisbon")
    await chat.say("monthly on 1st mon")
    await chat.say("")  # window: keep 1d
    await chat.say("")  # participants: everyone
    out = await chat.say("Where is AI on your roadmap?")
    assert "set up" in out
    shown = await chat.say("/caio checkin show")
    assert "monthly on the first Monday at 16:00 Europe/Lisbon" in shown
    assert "Where is AI on your roadmap?" in shown
    again = await chat.say("/caio checkin setup")
    assert "Time and time zone [16:00 Europe/Lisbon]?" in again
    assert "How often [monthly on 1st mon]?" in await chat.say("")
    await chat.say("/cancel")


async def test_a_refused_form_gives_the_answers_back_as_one_line(chat: Chat, teams: Teams) -> None:
    """A form is gone once sent: the answers come back, to fix one word and send again."""
    await teams.be("sam", Role.LEAD)
    await chat.say("/caio standup setup")
    for answer in ("08:45 Europe/Lisbon", "mon-thu", "4 hours please", "@sam", "What shipped?"):
        out = await chat.say(answer)
    assert "not a duration: '4 hours please'" in out and "Nothing saved" in out
    assert "There is no standup" in await chat.say("/caio standup show")

    line = out.split("`")[-2]
    assert line.startswith("/caio standup setup ") and "Europe/Lisbon" in line
    saved = await chat.say(line.replace("'4 hours please'", "4h"))
    assert "Stand-up set up" in saved
    for kept in ("mon-thu at 08:45 Europe/Lisbon", "Participants: sam", "What shipped?"):
        assert kept in saved


async def test_save_this_thread_as_a_decision_drafts_one_from_the_thread(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("sam", Role.LEAD)
    asked = await chat.say("/caio ask should we keep vectors in pgvector or Pinecone?")
    thread = asked.split("`/thread ")[1].split("`")[0]
    await chat.say(f"/thread {thread}")
    draft = await chat.say("@caio save this thread as a decision: Vector store")
    assert "Draft decision from this thread" in draft
    assert "Vector store" in draft and "(proposed" in draft
    accepted = await chat.say(chat.button(draft, "Accept"))
    assert "accepted by sam" in accepted


async def test_saving_a_thread_is_for_leads_and_other_mentions_are_questions(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("dana", Role.MEMBER)
    asked = await chat.say("/caio ask should we keep vectors in pgvector or Pinecone?")
    await chat.say("/thread " + asked.split("`/thread ")[1].split("`")[0])
    refused = await chat.say("@caio save this thread as a decision")
    assert "Only the CAIO, a lead or an admin" in refused
    assert "Draft decision" not in await chat.say("@caio how do we save this thread?")
