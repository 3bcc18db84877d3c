"""`/caio decide` and `/caio decisions`: ADRs from a form or a thread, search, supersede."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.db.models import Role
from bot.practice.decisions import parse_form
from config.settings import Settings
from tests.conftest import Chat, make_settings
from tests.practice.conftest import Teams
from tests.standins.openai_server import OpenAIStandIn

ONE_LINE = (
    "/caio decide Use pgvector for retrieval | context: 2M help-centre chunks, Postgres "
    "already run | options: pgvector; Pinecone; Qdrant | decision: pgvector on the main "
    "cluster | consequences: one database to run; revisit past 5M vectors"
)


def test_one_line_and_multi_line_forms_read_the_same() -> None:
    one = parse_form("Adopt evals | context: no tests | decision: golden set")
    many = parse_form("Adopt evals\nContext: no tests\nDecision: golden set\n  of 30 questions")
    assert one.title == many.title == "Adopt evals"
    assert one.get("context") == many.get("context") == "no tests"
    assert many.get("decision") == "golden set\nof 30 questions"


async def test_record_list_show_search(chat: Chat, teams: Teams) -> None:
    assert "Only the CAIO, a lead or an admin" in await chat.say(ONE_LINE)
    await teams.be("sam", Role.LEAD)
    recorded = await chat.say(ONE_LINE)
    assert "ADR-001 Use pgvector for retrieval (accepted, 2026-11-24)" in recorded
    assert "decided by sam" in recorded
    assert "*Options:* pgvector; Pinecone; Qdrant" in recorded
    await chat.say(
        "/caio decide Golden-set evals before each release\n"
        "context: regressions reached users twice\n"
        "decision: 30 real questions with expected sources, run in CI"
    )

    await teams.be("dev")
    listed = await chat.say("/caio decisions")
    assert listed.index("ADR-002 Golden-set") < listed.index("ADR-001 Use pgvector")
    found = await chat.say("/caio decisions search pinecone")
    assert "ADR-001" in found and "ADR-002" not in found
    assert "none yet" in await chat.say("/caio decisions search kubernetes")
    shown = await chat.say("/caio decisions 2")
    assert "*Context:* regressions reached users twice" in shown
    assert "There is no decision 9 here" in await chat.say("/caio decisions 9")


async def test_missing_fields_show_the_form(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    out = await chat.say("/caio decide Move to Claude | options: GPT; Claude")
    assert "A decision needs context, decision" in out
    assert "`/caio decide Move to Claude | context: … | options: …" in out
    assert "none yet" in await chat.say("/caio decisions")


async def test_a_later_decision_supersedes(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    await chat.say(ONE_LINE)
    newer = await chat.say(
        "/caio decide Move retrieval to Qdrant | context: 8M vectors now | "
        "decision: Qdrant cloud in the EU | supersedes: 1"
    )
    assert "ADR-002 Move retrieval to Qdrant (accepted" in newer
    listed = await chat.say("/caio decisions")
    assert "ADR-001 Use pgvector for retrieval (superseded by ADR-002" in listed
    await chat.say("/caio decide Keep prompts in git | context: drift | decision: repo")
    assert "ADR-001 is now superseded by ADR-003" in await chat.say("/caio decisions supersede 1 3")
    assert "Usage: `/caio decisions supersede" in await chat.say("/caio decisions supersede 1")


async def test_superseding_in_a_loop_is_refused(chat: Chat, teams: Teams) -> None:
    """2 → 3 → 1 → 2 would leave every decision superseded and none current."""
    await teams.be("sam", Role.LEAD)
    for title in ("Use pgvector", "Use Qdrant", "Use Weaviate"):
        await chat.say(f"/caio decide {title} | context: retrieval | decision: {title}")
    assert "ADR-001 is now superseded by ADR-002" in await chat.say("/caio decisions supersede 1 2")
    assert "ADR-002 is now superseded by ADR-003" in await chat.say("/caio decisions supersede 2 3")
    for old, new in (("2", "1"), ("3", "1")):
        refused = await chat.say(f"/caio decisions supersede {old} {new}")
        assert (
            f"ADR-00{new} is itself superseded by ADR-00{old}, directly or through later "
            "decisions; that would leave no current decision." in refused
        )
    assert "ADR-003 Use Weaviate (accepted" in await chat.say("/caio decisions")


async def test_from_thread_composes_a_draft_to_accept(chat: Chat, teams: Teams) -> None:
    await chat.say("/caio escalate should we fine-tune or use RAG for the support bot?")
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio answer 1 RAG first: your docs change weekly; fine-tune later for tone.")
    await teams.be("sam", Role.LEAD)
    assert "Run it inside the thread" in await chat.say("/caio decide from-thread")
    teams.go("general", "9")
    assert "no record of this thread" in await chat.say("/caio decide from-thread")
    teams.go("caio-queue", "1")
    draft = await chat.say("/caio decide from-thread RAG before fine-tuning")
    assert "ADR-001 RAG before fine-tuning (proposed" in draft
    assert "*Context:* Question: should we fine-tune or use RAG" in draft
    assert "*Decision:* dana: RAG first" in draft
    accepted = await chat.say(chat.button(draft, "Accept"))
    assert "ADR-001 accepted by sam" in accepted
    assert "(accepted" in await chat.say("/caio decisions 1")


async def test_from_thread_with_the_model(database_url: str, clock: ManualClock) -> None:
    from bot.wiring import bootstrap_console, build_bot, start, stop

    drafted = (
        "title: RAG before fine-tuning\ncontext: docs change weekly\n"
        "options: fine-tune; RAG\ndecision: RAG now, fine-tune later for tone\n"
        "consequences: need an eval set"
    )
    async with OpenAIStandIn(drafted) as llm:
        settings: Settings = make_settings(
            database_url, openai_api_key="sk-test", openai_base_url=llm.base_url
        )
        bot = build_bot(settings, clock=clock)
        chat = Chat(bot)
        bot.add_adapter(chat.adapter)
        await bootstrap_console(bot)
        await start(bot)
        try:
            teams = Teams(chat)
            await chat.say("/caio escalate should we fine-tune or use RAG?")
            await teams.be("dana", Role.CAIO)
            await chat.say("/caio answer 1 RAG first, fine-tune later.")
            teams.go("caio-queue", "1")
            out = await chat.say("/caio decide from-thread")
        finally:
            await stop(bot)
    assert "ADR-001 RAG before fine-tuning (proposed" in out
    assert "*Consequences:* need an eval set" in out
    thread_prompt = llm.chat_requests[-1]["messages"][1]["content"]
    assert "should we fine-tune or use RAG?" in thread_prompt
    assert "dana: RAG first, fine-tune later." in thread_prompt


async def test_a_label_the_form_does_not_have_is_refused_and_the_text_kept(
    chat: Chat, teams: Teams
) -> None:
    await teams.be("sam", Role.LEAD)
    line = "/caio decide Foo | context: c | decision: use A | notes: important caveat"
    out = await chat.say(line)
    assert "A decision has no `notes:`; its labels are `title:`, `context:`, `options:`" in out
    assert "Nothing recorded." in out and line.removeprefix("/caio decide ") in out
    out = await chat.say("/caio decide Foo | bogus: x")
    assert "A decision has no `bogus:`" in out and "Foo | bogus: x" in out
    assert "none yet" in await chat.say("/caio decisions")

    kept = await chat.say(
        "/caio decide RAG: pgvector | context: 2M docs | decision: pgvector | "
        "consequences: one database, see https://example.com/adr"
    )
    assert "ADR-001 RAG: pgvector (accepted" in kept
    assert "*Consequences:* one database, see https://example.com/adr" in kept
