"""A deploy or a crash while the model is still thinking: the next process finishes the
answer in the "Thinking…" the first one posted, instead of leaving that message hanging
above a second one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.liveness import PRESUMED_DEAD
from config.settings import Settings
from tests.conftest import kill, make_settings
from tests.slack.conftest import GENERAL, SECRET, SlackHarness, running_slack
from tests.standins.openai_server import OpenAIStandIn
from tests.standins.slack_api import BOT_TOKEN, SlackStandIn

WAIT = 10.0  # a model call that never arrives fails the test instead of hanging it
ANSWER = "Start with a golden set of 50 real questions [1]."


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn(ANSWER) as standin:
        yield standin


@pytest.fixture
def settings(database_url: str, slack_api: SlackStandIn, llm: OpenAIStandIn) -> Settings:
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
        openai_api_key="sk-test",
        openai_base_url=llm.base_url,
    )


async def ask_while_the_model_thinks(slack: SlackHarness, llm: OpenAIStandIn) -> asyncio.Event:
    """`/caio ask`, answered as far as "Thinking…"; setting the event lets the model answer."""
    go = llm.hold()
    await slack.command("ask how should we evaluate our RAG pipeline before launch?")
    await asyncio.wait_for(llm.arrived.wait(), WAIT)
    return go


def assert_finished_in_place(slack_api: SlackStandIn) -> None:
    """One "Thinking…", edited into the answer with its buttons; no second message."""
    (thinking,) = [m for m in slack_api.messages[GENERAL] if "Thinking" in m["text"]]
    final = slack_api.delivered("chat.update")[-1]
    assert final.args["ts"] == thinking["ts"]
    assert "golden set of 50 real questions" in final.text
    assert final.buttons == ["Helpful", "Not helpful", "Escalate"]
    posted = slack_api.delivered("chat.postMessage")
    assert [c for c in posted if "golden set" in c.text or c.buttons] == []


async def test_after_a_deploy_the_answer_replaces_the_old_processes_thinking(
    settings: Settings, clock: ManualClock, slack_api: SlackStandIn, llm: OpenAIStandIn
) -> None:
    async with running_slack(settings, clock, slack_api) as first:
        go = await ask_while_the_model_thinks(first, llm)
        await first.bot.drain(grace=0)  # SIGTERM, and the drain's grace runs out
    go.set()

    async with running_slack(settings, clock, slack_api) as second:  # no time passes
        await second.settle()
    assert_finished_in_place(slack_api)


async def test_after_a_crash_the_answer_replaces_the_dead_processes_thinking(
    settings: Settings, clock: ManualClock, slack_api: SlackStandIn, llm: OpenAIStandIn
) -> None:
    async with running_slack(settings, clock, slack_api) as first:
        go = await ask_while_the_model_thinks(first, llm)
        await kill(first.bot)
        go.set()
        clock.advance(PRESUMED_DEAD + timedelta(seconds=1))

        async with running_slack(settings, clock, slack_api) as second:
            await second.settle()
        assert_finished_in_place(slack_api)
