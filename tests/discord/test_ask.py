"""`/caio ask` on Discord: deferred at once, the question followed up, a thread opened on
it, and the answer posted there with persistent buttons."""

from __future__ import annotations

from sqlmodel import select

from bot.clock import ManualClock
from bot.db.models import Advice, AdviceSource, Workspace
from tests.discord.conftest import (
    CLIENT,
    GENERAL,
    DiscordHarness,
    discord_settings,
    running,
)
from tests.standins.discord_api import APP_ID, DiscordStandIn
from tests.standins.openai_server import OpenAIStandIn


async def test_ask_defers_then_follows_up_and_answers_in_a_thread(
    dc: DiscordHarness,
) -> None:
    token = await dc.slash("ask", question="how should we evaluate our RAG pipeline?")
    api = dc.api
    calls = [c for c in api.calls if c.path.startswith(("/interactions", "/webhooks", "/channels"))]
    assert calls[0].path.endswith(f"/{token}/callback")
    assert calls[0].body["type"] == 5  # deferred, "caio-bot is thinking…"

    asked = dc.original(token)
    assert asked is not None
    assert asked["content"] == "**dev** asked: how should we evaluate our RAG pipeline?"
    assert not asked["flags"] & 64, "the question is visible to the channel"

    (thread,) = dc.threads_of(GENERAL)
    assert thread == asked["id"], "the thread hangs off the followed-up question"
    (answer,) = api.in_channel(thread)
    assert "Sources: [1] Playbook:" in answer["content"]
    ids = [b["custom_id"] for b in api.buttons(answer)]
    assert [b["label"] for b in api.buttons(answer)] == ["Helpful", "Not helpful", "Escalate"]
    assert ids[0].startswith("caio:advice.helpful:") and ids[2] == "caio:question.escalate:1"


async def test_usage_error_is_private_and_the_thinking_reply_goes_away(dc: DiscordHarness) -> None:
    token = await dc.slash("ask", question="hi")
    assert dc.original(token) is None, "the public 'thinking…' reply was removed"
    (usage,) = dc.followups(token)
    assert usage["flags"] & 64, "only the asker sees the usage line"
    assert "Usage: `/caio ask <question>`" in usage["content"]
    assert dc.threads_of(GENERAL) == []


async def test_help_is_private_and_lists_the_subcommands(dc: DiscordHarness) -> None:
    token = await dc.slash("help")
    shown = dc.original(token)
    assert shown is not None and shown["flags"] & 64
    text = dc.api.visible_text(shown)
    assert "`/caio ask <question>`" in text and "`/caio answer" not in text

    token = await dc.slash("help", topic="advice")
    shown = dc.original(token)
    assert shown is not None
    assert "e.g. `/caio advice search vector database`" in dc.api.visible_text(shown)


async def test_unlinked_guild_is_told_privately(dc: DiscordHarness) -> None:
    async with dc.bot.db.session() as session:
        row = (await session.exec(select(Workspace))).one()
        await session.delete(row)
        await session.commit()
    token = await dc.slash("ask", question="anyone there?")
    (told,) = dc.followups(token)
    assert told["flags"] & 64 and "not linked to a client yet" in told["content"]


async def test_asked_inside_a_thread_the_streamed_answer_completes_the_interaction(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    async with OpenAIStandIn("Build a golden set of real questions first [1].") as llm:
        settings = discord_settings(
            database_url, discord_api, openai_api_key="sk-test", openai_base_url=llm.base_url
        )
        async with running(discord_api, settings, clock) as dc:
            await dc.slash("ask", question="how should we evaluate our RAG pipeline?")
            (thread,) = dc.threads_of(GENERAL)
            token = await dc.slash("ask", channel=thread, question="and how many questions?")
    answer = dc.original(token)
    assert answer is not None and answer["channel_id"] == thread
    assert "golden set of real questions" in answer["content"]
    assert [b["label"] for b in discord_api.buttons(answer)][-1] == "Escalate"
    edits = discord_api.calls_to("PATCH", f"/webhooks/{APP_ID}/{token}/messages/")
    assert edits, "the placeholder is edited through the interaction that posted it"
    assert dc.threads_of(GENERAL) == [thread]


async def test_a_question_answered_before_leads_with_that_answer(dc: DiscordHarness) -> None:
    async with dc.bot.db.session() as session:
        session.add(
            Advice(
                client_id=CLIENT,
                question="How should we evaluate our RAG pipeline?",
                answer="Build a golden set of 50 real questions first.",
                source=AdviceSource.CAIO,
                author="dana",
                created_at=dc.bot.clock.now(),
            )
        )
        await session.commit()
    await dc.slash("ask", question="how should we evaluate our RAG pipeline?")
    (thread,) = dc.threads_of(GENERAL)
    shown = dc.api.visible_text(dc.api.in_channel(thread)[-1])
    assert "Asked before" in shown and "dana (CAIO)" in shown
    assert "golden set of 50 real questions" in shown


async def test_nothing_relevant_says_so_and_offers_escalation(dc: DiscordHarness) -> None:
    await dc.slash("ask", question="is the parking garage open on sunday?")
    (thread,) = dc.threads_of(GENERAL)
    answer = dc.api.in_channel(thread)[-1]
    assert "couldn't find anything" in dc.api.visible_text(answer)
    assert [b["label"] for b in dc.api.buttons(answer)][-1] == "Escalate"
