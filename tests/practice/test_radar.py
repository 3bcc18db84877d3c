"""`/caio radar`: place and move blips with reasons, history, and the export that
Thoughtworks' build-your-own-radar reads."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from bot.clock import ManualClock
from bot.db.models import Role
from tests.conftest import Chat
from tests.practice.conftest import Teams, uploaded


async def test_set_move_show_and_history(chat: Chat, teams: Teams, clock: ManualClock) -> None:
    assert "Only the CAIO, a lead or an admin" in await chat.say("/caio radar set x adopt tools")
    await teams.be("sam", Role.LEAD)
    added = await chat.say("/caio radar set LangChain trial languages-and-frameworks quick start")
    assert "Radar: LangChain added to Trial (Languages & Frameworks): quick start." in added
    await chat.say("/caio radar set pgvector adopt platforms one database to run")
    new = await chat.say("/caio radar set Ragas assess")
    assert "Ragas is new: say its quadrant" in new
    assert "Usage: `/caio radar set" in await chat.say("/caio radar set pgvector maybe")
    typo = await chat.say("/caio radar adopt pgvector")
    assert "I don't understand `adopt pgvector`" in typo and "[set <tech>" in typo

    clock.advance(timedelta(days=3))
    moved = await chat.say("/caio radar set langchain hold too much magic for our team")
    assert "LangChain moved Trial → Hold: too much magic for our team" in moved

    await teams.be("dev")
    shown = await chat.say("/caio radar")
    assert "*Platforms*\n    Adopt: pgvector" in shown
    assert "*Languages & Frameworks*\n    Hold: LangChain" in shown
    history = await chat.say("/caio radar history LangChain")
    assert (
        "2026-11-24 · LangChain added to Trial (Languages & Frameworks): quick start · by sam"
        in history
    )
    assert (
        "2026-11-27 · LangChain moved Trial → Hold: too much magic for our team · by sam" in history
    )
    assert "Kafka is not on the radar" in await chat.say("/caio radar history Kafka")


async def test_export_is_what_build_your_own_radar_reads(
    chat: Chat, teams: Teams, clock: ManualClock
) -> None:
    await teams.be("sam", Role.LEAD)
    await chat.say("/caio radar set pgvector adopt platforms one database to run")
    clock.advance(timedelta(days=120))
    await chat.say("/caio radar set DSPy assess tools, promising for prompt tuning")

    out = await chat.say("/caio radar export csv")
    assert "2 blips, ready for Thoughtworks' build-your-own-radar" in out
    rows = list(csv.DictReader(io.StringIO(uploaded(out)["radar-demo.csv"].decode())))
    assert list(rows[0]) == ["name", "ring", "quadrant", "isNew", "description"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["pgvector"] == {
        "name": "pgvector",
        "ring": "Adopt",
        "quadrant": "Platforms",
        "isNew": "FALSE",
        "description": "one database to run",
    }
    assert by_name["DSPy"]["isNew"] == "TRUE" and by_name["DSPy"]["quadrant"] == "Tools"
    assert by_name["DSPy"]["description"] == "promising for prompt tuning"

    out = await chat.say("/caio radar export json")
    blips = json.loads(uploaded(out)["radar-demo.json"])
    assert {b["name"]: b["ring"] for b in blips} == {"DSPy": "Assess", "pgvector": "Adopt"}
    assert "Usage: `/caio radar export [csv|json]`" in await chat.say("/caio radar export pdf")


async def test_export_cells_cannot_run_as_formulas(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    await chat.say('/caio radar set DSPy assess tools =HYPERLINK("http://x","prompt tuning")')
    out = await chat.say("/caio radar export csv")
    [row] = csv.DictReader(io.StringIO(uploaded(out)["radar-demo.csv"].decode()))
    assert row["description"] == '\'=HYPERLINK("http://x","prompt tuning")'
