"""The weekly digest summarised by the model when one is configured: the real openai client
against the loopback stand-in, and the composed digest when the model fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clock import ManualClock
from config.settings import Settings
from scheduler.engine import Engine
from tests.conftest import Chat, make_settings
from tests.standins.openai_server import OpenAIStandIn

SUMMARY = "• Start RAG evaluation with a golden set of 30 real questions (CAIO)."
ANSWER = "Back off and retry on 429s, and cache repeated prompts."
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _reply(body: dict[str, Any]) -> str:
    system = str(body["messages"][0]["content"])
    return SUMMARY if "knowledge-sharing post" in system else ANSWER


@pytest.fixture
async def standin() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn(_reply) as llm:
        yield llm


@pytest.fixture
def settings(database_url: str, standin: OpenAIStandIn) -> Settings:
    return make_settings(
        database_url, openai_api_key="sk-test-key", openai_base_url=standin.base_url
    )


async def _week_of_advice(chat: Chat) -> None:
    """A share schedule with an empty queue, an AI answer, then a CAIO answer."""
    await chat.say("/as lee lead")
    await chat.say("/caio share schedule on tue at 10:00 tz UTC")
    await chat.say("/as dev")
    await chat.say("/caio ask how do we handle OpenAI rate limits in production?")
    await chat.say("/caio escalate how should we evaluate our RAG pipeline before launch?")
    await chat.say("/as dana caio")
    await chat.say("/caio answer 1 Build a golden set of 30 real questions first.")


def _digest_requests(standin: OpenAIStandIn) -> list[dict[str, Any]]:
    return [r for r in standin.chat_requests if "knowledge-sharing" in r["messages"][0]["content"]]


async def test_digest_is_the_models_summary_of_the_week_caio_first(
    chat: Chat, clock: ManualClock, standin: OpenAIStandIn
) -> None:
    await _week_of_advice(chat)
    clock.set(TUESDAY_10)
    await Engine(chat.bot, worker="a").run_due(clock.now())
    await Engine(chat.bot, worker="b").run_due(clock.now())
    posted = chat.pop()

    (request,) = _digest_requests(standin)
    week = str(request["messages"][1]["content"])
    caio = week.index("Build a golden set of 30 real questions first. (CAIO)")
    assert caio < week.index("rate limits in production")
    assert ANSWER in week  # the AI's answer is in the week too, after the CAIO's
    assert posted.count("** This week in AI **") == 1
    assert SUMMARY in posted
    assert "What the team learned this week" not in posted


async def test_model_failure_posts_the_composed_digest(
    chat: Chat, clock: ManualClock, standin: OpenAIStandIn
) -> None:
    await _week_of_advice(chat)
    standin.fail_next(500, times=3)  # the first try and both of the client's retries
    clock.set(TUESDAY_10)
    await Engine(chat.bot).run_due(clock.now())
    posted = chat.pop()

    assert len(_digest_requests(standin)) == 3
    assert "** This week in AI **" in posted and SUMMARY not in posted
    assert "What the team learned this week:" in posted
    caio = posted.index("Build a golden set of 30 real questions first. (CAIO)")
    assert caio < posted.index("rate limits in production")
