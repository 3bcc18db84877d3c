"""Isolation: whatever their role, people of one client never read, search, export or
report another client's data. Run on SQLite, and on PostgreSQL with CAIO_TEST_DATABASE_URL.

Demo Co gets advice, an escalation, a decision, a radar blip and hours; Globex's CAIO
(the strongest role there) then tries every way in from Globex's workspace."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from bot.cli import app
from bot.db.models import Role
from bot.db.models_practice import Decision, DecisionStatus
from bot.events import Action, Actor, Address
from tests.conftest import Chat
from tests.practice.conftest import OTHER, Teams, uploaded

SECRET_TOPIC = "pgvector"
# what Demo Co's data says, beyond the search term a caller types themselves
LEAKS = ("HNSW", "5M", "Postgres already", "one database", "vector store review", "dev", "Demo")


async def demo_has_data(chat: Chat, teams: Teams) -> None:
    await chat.say("/caio ask which vector database should we pick for embeddings?")
    await chat.say(f"/caio escalate is {SECRET_TOPIC} enough for 5M vectors?")
    await teams.be("dana", Role.CAIO)
    await chat.say(f"/caio answer 1 Yes: {SECRET_TOPIC} with HNSW handles 5M comfortably.")
    await chat.say(
        f"/caio decide Use {SECRET_TOPIC} | context: Postgres already | decision: {SECRET_TOPIC}"
    )
    await chat.say(f"/caio radar set {SECRET_TOPIC} adopt platforms one database")
    await chat.say("/caio hours log 2h vector store review")


async def test_another_clients_caio_sees_nothing_of_ours(chat: Chat, teams: Teams) -> None:
    await demo_has_data(chat, teams)
    # the positive control: Demo Co itself sees all of it
    assert SECRET_TOPIC in await chat.say(f"/caio advice search {SECRET_TOPIC}")
    assert "ADR-001" in await chat.say("/caio decisions")
    assert SECRET_TOPIC in await chat.say("/caio radar")
    assert "2 h logged" in await chat.say("/caio hours")

    await teams.be("eve", Role.CAIO, client=OTHER)
    seen = [
        await chat.say("/caio advice"),
        await chat.say(f"/caio advice search {SECRET_TOPIC}"),
        await chat.say("/caio advice mine"),
        await chat.say("/caio decisions"),
        await chat.say(f"/caio decisions search {SECRET_TOPIC}"),
        await chat.say("/caio decisions 1"),
        await chat.say("/caio radar"),
        await chat.say(f"/caio radar history {SECRET_TOPIC}"),
        await chat.say("/caio hours"),
        await chat.say("/caio config show"),
    ]
    for out in seen:
        for leak in LEAKS:
            assert leak not in out, out
    assert "I don't know @dev in this team" in await chat.say("/caio advice @dev")
    assert "I don't know @dev" in await chat.say("/caio config role @dev admin")
    assert "There is no escalation #1 here" in await chat.say("/caio answer 1 leaked?")
    assert "There is no decision" in await chat.say("/caio decisions 1")
    assert "Both decisions must exist" in await chat.say("/caio decisions supersede 1 2")

    exported = await chat.say("/caio radar export json")
    assert json.loads(uploaded(exported)["radar-globex.json"]) == []

    report = await chat.say("/caio report")
    markdown = uploaded(report)["report-globex-2026-11.md"].decode()
    assert "# Globex: AI advisory report" in markdown
    for leak in (*LEAKS, SECRET_TOPIC, "| dev", "dana", "ADR-001", "vector"):
        assert leak not in markdown.replace("developer", ""), leak
    assert "No advice given this month." in markdown

    teams.go("caio-queue", "1")
    assert "no record of this thread" in await chat.say("/caio decide from-thread")

    here = Address("console", OTHER, "general")
    click = Action("hours.log_escalation", "1", Actor("console", "eve", "eve"), here, "0")
    await chat.bot.dispatch(click, chat.adapter)
    assert "That escalation is no longer available" in chat.pop()
    # Demo is a word of the note, as an unknown client would be: nothing says it exists.
    assert "Logged 1 h for Globex: sneaky demo" in await chat.say("/caio hours log 1h sneaky demo")
    assert "Logged 1 h for Globex: sneaky nobody" in await chat.say(
        "/caio hours log 1h sneaky nobody"
    )

    await teams.be("dana", Role.CAIO)
    assert "2 h logged" in await chat.say("/caio hours")  # Demo Co's hours untouched


async def test_the_same_person_sees_only_the_workspace_they_are_in(
    chat: Chat, teams: Teams
) -> None:
    """dana is CAIO of both: in Globex's workspace she gets Globex's data only."""
    await demo_has_data(chat, teams)
    await teams.be("dana", Role.CAIO, client=OTHER)
    assert "none yet" in await chat.say("/caio decisions")
    assert "The radar is empty" in await chat.say("/caio radar")
    assert "0 h logged" in await chat.say("/caio hours")


async def test_cli_exports_and_reports_one_client_only(
    chat: Chat, teams: Teams, cli_env: str
) -> None:
    await demo_has_data(chat, teams)
    await teams.be("eve", client=OTHER)
    await chat.say("/caio escalate what does Globex pay for tokens?")

    def run(*args: str) -> str:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    theirs = await asyncio.to_thread(run, "advice", "export", "--client", OTHER)
    assert SECRET_TOPIC not in theirs and "vector" not in theirs
    ours = await asyncio.to_thread(run, "advice", "export", "--client", "demo")
    assert SECRET_TOPIC in ours and "Globex" not in ours


async def test_a_clients_admin_cannot_move_its_queue_into_another_clients_workspace(
    chat: Chat, teams: Teams
) -> None:
    """Another client's channel would receive our escalations, AI drafts included, and its
    CAIO or admins could answer them as our CAIO."""
    await teams.be("amy", Role.ADMIN)
    refused = await chat.say("/caio config set queue console:globex:general")
    assert "only be in Demo Co's own workspaces" in refused
    assert "caio-bot clients set demo queue=console:globex:<channel>" in refused
    assert "caio-queue" in await chat.say("/caio config show")  # unchanged

    assert "set to console:console:caio-inbox" in await chat.say(
        "/caio config set queue console:console:caio-inbox"
    )


async def test_accept_on_one_clients_draft_never_accepts_anothers(chat: Chat, teams: Teams) -> None:
    """ADR numbers are per client: in a channel both clients' people see (Slack Connect),
    Globex's lead clicking Accept on Demo's ADR-001 must not accept Globex's ADR-001."""
    await chat.say("/caio escalate should we fine-tune or use RAG for the support bot?")
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio answer 1 RAG first: your docs change weekly.")
    await teams.be("sam", Role.LEAD)
    teams.go("caio-queue", "1")
    draft = await chat.say("/caio decide from-thread RAG before fine-tuning")
    _, value, _ = chat.adapter._buttons[int(chat.button(draft, "Accept"))]
    async with chat.bot.db.session() as session:
        session.add(
            Decision(
                client_id=OTHER,
                number=1,
                title="Globex's own draft",
                decided_by="gil",
                status=DecisionStatus.PROPOSED,
                decided_at=chat.bot.clock.now(),
            )
        )
        await session.commit()

    await teams.be("gil", Role.LEAD, client=OTHER)
    shared = Address("console", OTHER, "caio-queue", "1")  # the click comes from Globex's side
    click = Action("decision.accept", value, Actor("console", "gil", "gil"), shared, "0")
    await chat.bot.dispatch(click, chat.adapter)
    assert "That decision is no longer available" in chat.pop()
    assert "(proposed" in await chat.say("/caio decisions 1")

    await teams.be("sam", Role.LEAD)
    assert "ADR-001 accepted by sam" in await chat.say(chat.button(draft, "Accept"))
