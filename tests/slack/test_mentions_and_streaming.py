"""`@caio-bot` in a thread, with a model behind it: the thread's earlier messages reach the
model, the answer streams into one message, and a long answer spills over into more
messages instead of failing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from config.settings import Settings
from tests.conftest import make_settings
from tests.slack.conftest import CAIO, DANA, GENERAL, SAM, SECRET, SlackHarness, running_slack
from tests.standins.openai_server import OpenAIStandIn
from tests.standins.slack_api import BOT_TOKEN, SlackStandIn


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn("Start with a golden set of 50 real questions [1].") as standin:
        yield standin


@pytest.fixture
async def slack(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn, llm: OpenAIStandIn
) -> AsyncIterator[SlackHarness]:
    settings: Settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
        openai_api_key="sk-test",
        openai_base_url=llm.base_url,
    )
    async with running_slack(settings, clock, slack_api) as harness:
        yield harness


def _mention_in_thread(slack: SlackHarness, text: str) -> dict[str, object]:
    root = slack.api.add_message(GENERAL, SAM, "We use pgvector for our FAQ bot retrieval")
    slack.api.add_message(GENERAL, DANA, "and recall feels low on long questions", root["ts"])
    return {
        "type": "app_mention",
        "user": DANA,
        "text": f"<@UBOT> {text}",
        "ts": slack.api.next_ts(),
        "thread_ts": root["ts"],
        "channel": GENERAL,
    }


async def test_mention_in_a_thread_uses_the_thread_and_streams_the_answer(
    slack: SlackHarness, llm: OpenAIStandIn
) -> None:
    event = _mention_in_thread(slack, "how should we evaluate this before launch?")
    await slack.event(event)
    await slack.settle()

    prompt = "\n".join(str(m["content"]) for m in llm.chat_requests[0]["messages"])
    assert "sam: We use pgvector for our FAQ bot retrieval" in prompt
    assert "dana: and recall feels low on long questions" in prompt
    (placeholder,) = slack.api.delivered("chat.postMessage")
    assert placeholder.args["thread_ts"] == event["thread_ts"] and "Thinking" in placeholder.text
    final = slack.api.delivered("chat.update")[-1]
    assert "golden set of 50 real questions" in final.text
    assert final.buttons == ["Helpful", "Not helpful", "Escalate"]


async def test_a_long_answer_is_split_across_messages(
    slack: SlackHarness, llm: OpenAIStandIn
) -> None:
    paragraphs = [f"Step {n}: " + "measure recall on the golden set " * 12 for n in range(1, 25)]
    llm.reply = "\n\n".join(paragraphs)
    event = _mention_in_thread(slack, "give me the full evaluation plan")
    await slack.event(event)
    await slack.settle()

    final = slack.api.delivered("chat.update")[-1]
    spill = [c for c in slack.api.delivered("chat.postMessage") if "Thinking" not in c.text]
    assert len(spill) >= 2 and all(c.args["thread_ts"] == event["thread_ts"] for c in spill)
    shown = final.text + "".join(c.text for c in spill)
    assert "Step 1:" in shown and "Step 24:" in shown
    assert spill[-1].buttons == ["Helpful", "Not helpful", "Escalate"] and final.buttons == []
    for call in [final, *spill]:
        for block in call.args["blocks"]:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= 3000


async def test_a_deleted_placeholder_still_gets_the_answer_below_it(
    slack: SlackHarness, llm: OpenAIStandIn
) -> None:
    """Someone deleted "Thinking…": every edit is refused, and the answer is posted anew."""
    slack.api.fail_next("chat.update", 200, times=50, error="message_not_found")
    event = _mention_in_thread(slack, "how should we evaluate this before launch?")
    await slack.event(event)
    await slack.settle()

    placeholder, answer = slack.api.delivered("chat.postMessage")
    assert "Thinking" in placeholder.text
    assert answer.args["thread_ts"] == event["thread_ts"]
    assert "golden set of 50 real questions" in answer.text
    assert answer.buttons == ["Helpful", "Not helpful", "Escalate"]


async def test_a_thread_saved_as_a_decision_reaches_the_model_and_the_log_redacted(
    slack: SlackHarness, llm: OpenAIStandIn
) -> None:
    """A thread is raw chat: a key pasted there must reach neither the model nor the
    decision log, as it reaches neither from a question."""
    key = "sk-proj-" + "Ab3De5Gh7Jk9Mn2Pq4St6Vw8Yz" * 2 + "T3BlbkFJ" + "Q1w2E3r4T5y6U7i8O9p0" * 3
    root = slack.api.add_message(GENERAL, SAM, "Which key should the eval job use?")
    slack.api.add_message(GENERAL, DANA, f"use {key} for now, rotate later", root["ts"])
    await slack.event(
        {
            "type": "app_mention",
            "user": CAIO,
            "text": "<@UBOT> save this thread as a decision: Eval job key",
            "ts": slack.api.next_ts(),
            "thread_ts": root["ts"],
            "channel": GENERAL,
        }
    )
    await slack.settle()

    prompt = "\n".join(str(m["content"]) for m in llm.chat_requests[-1]["messages"])
    assert "rotate later" in prompt and "[REDACTED:openai-key]" in prompt
    assert key not in prompt
    draft = slack.api.delivered("chat.postMessage")[-1]
    assert "Draft decision from this thread" in draft.text
    assert "rotate later" in draft.text and key not in draft.text
