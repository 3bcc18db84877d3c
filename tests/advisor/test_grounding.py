"""Grounded answers and linked escalations, through the console as a developer sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.db.models import Client, Escalation
from bot.wiring import DEMO_CLIENT, bootstrap_console, build_bot, start, stop
from tests.conftest import Chat, make_settings
from tests.standins.openai_server import OpenAIStandIn


@pytest.fixture
async def model_chat(
    database_url: str, clock: ManualClock, standin: OpenAIStandIn
) -> AsyncIterator[Chat]:
    settings = make_settings(database_url, openai_api_key="test", openai_base_url=standin.base_url)
    bot = build_bot(settings, clock=clock)
    conversation = Chat(bot)
    bot.add_adapter(conversation.adapter)
    await bootstrap_console(bot)
    await start(bot)
    yield conversation
    await stop(bot)


async def test_citations_that_point_at_nothing_are_stripped(
    model_chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.reply = "Start with pgvector [2] and measure [9] before moving [1]."
    out = await model_chat.say("/caio ask which vector database should we pick for embeddings?")
    assert "Start with pgvector [1] and measure  before moving [2]." in out
    sources = standin.chat_requests[-1]["messages"][1]["content"]
    assert "[1] Playbook:" in sources and "Question: which vector database" in sources


async def test_the_team_profile_reaches_the_model(model_chat: Chat, standin: OpenAIStandIn) -> None:
    async with model_chat.bot.db.session() as session:
        client = await session.get(Client, DEMO_CLIENT)
        assert client is not None
        client.profile = "Django monolith on Postgres; goal: support deflection"
        session.add(client)
        await session.commit()
    await model_chat.say("/caio ask how should we design RAG over our docs?")
    system = standin.chat_requests[-1]["messages"][0]["content"]
    assert "Django monolith on Postgres; goal: support deflection" in system


async def test_nothing_found_says_so_without_asking_the_model(
    model_chat: Chat, standin: OpenAIStandIn
) -> None:
    out = await model_chat.say("/caio ask is the parking garage open on Sunday?")
    assert "couldn't find anything" in out and "rather not guess" in out
    model_chat.button(out, "Escalate")
    assert standin.chat_requests == []


async def test_a_duplicate_escalation_is_linked_to_the_open_one(chat: Chat) -> None:
    await chat.say("/caio escalate how do we handle OpenAI rate limits in production?")
    await chat.say("/as sam")
    second = await chat.say("/caio escalate How do we handle OpenAI rate limits in production")
    assert "Also asked by sam as #2 (linked to #1" in second
    assert "Escalation #2" not in second
    assert "The CAIO already has this question as #1, so #2 is linked to it" in second
    async with chat.bot.db.session() as session:
        first, linked = await session.get(Escalation, 1), await session.get(Escalation, 2)
    assert first is not None and linked is not None
    assert linked.queue_address == first.queue_address

    await chat.say("/as dana caio")
    relayed = await chat.say("/caio answer 1 Retry with exponential backoff and jitter.")
    assert "answered escalation #1" in relayed and "answered escalation #2" in relayed
    assert "Relayed to dev." in relayed and "Relayed to sam." in relayed


async def test_a_different_question_is_queued_on_its_own(chat: Chat) -> None:
    await chat.say("/caio escalate how do we handle OpenAI rate limits in production?")
    other = await chat.say("/caio escalate can we send customer emails to OpenAI under our DPA?")
    assert "Escalation #2" in other and "linked" not in other


async def test_the_offline_answer_quotes_only_sources_near_the_best(chat: Chat) -> None:
    """Entries that merely name a vector database too are left out of the quoted answer."""
    out = await chat.say("/caio ask which vector database should we use?")
    assert "Sources: [1] Playbook: Vector stores — pgvector or a dedicated database?)" in out
