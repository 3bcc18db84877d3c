"""The OpenAI path end to end: the real `openai` client against the loopback stand-in.

What a user notices: the model's answer in the thread with trustworthy citations, no
secret ever leaving for the model or landing in the log, and an answer (offline, with
the escalation offer) even when the model is failing or slow.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.advisor.llm import LLM, ModelError
from bot.advisor.service import DEGRADED
from bot.db.models import Advice, Escalation, Question
from config.settings import Settings
from tests.conftest import Chat, make_settings
from tests.standins.openai_server import OpenAIStandIn

QUESTION = "/caio ask how should we evaluate our RAG pipeline before launch?"
# The shape of a real project key: "T3BlbkFJ" (base64 "OpenAI") sits in the middle.
FAKE_KEY = (
    "sk-proj-" + "Xy7Qa9Lm2Nb4Vc6Zt8Rp1Sd3Fg5Hj7K" * 2 + "T3BlbkFJ" + "l9Qw2Er4Ty6Ui8Op0As" * 3
)


@pytest.fixture
async def standin() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn("Build a golden set of real questions first [1].") as llm:
        yield llm


@pytest.fixture
def settings(database_url: str, standin: OpenAIStandIn) -> Settings:
    """The bot pointed at the stand-in; a short timeout so the slow-model test stays fast."""
    return make_settings(
        database_url,
        openai_api_key="sk-test-key",
        openai_base_url=standin.base_url,
        llm_model="caio-test-model",
        llm_temperature=0.3,
        llm_max_tokens=321,
        llm_timeout=0.4,
        llm_max_retries=2,
    )


def prompt_of(body: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in body["messages"])


async def test_model_answer_is_threaded_cited_and_logged(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    out = await chat.say(QUESTION)

    assert "Build a golden set of real questions first [1]." in out
    assert "› thread 1] caio-bot:" in out
    assert re.search(r"Sources: \[1\] Playbook: ", out)
    assert DEGRADED not in out
    for label in ("Helpful", "Not helpful", "Escalate"):
        chat.button(out, label)

    [body] = standin.chat_requests
    assert body["model"] == "caio-test-model"
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 321
    assert "stream" not in body
    system, user = body["messages"]
    assert system["role"] == "system" and "cite them inline" in system["content"]
    assert "Demo Co" in system["content"]
    # The retrieved passages arrive numbered, with where they come from, then the question.
    assert re.search(r"^\[1\] Playbook: .+ — .+$", user["content"], re.MULTILINE)
    assert (
        user["content"]
        .rstrip()
        .endswith("Question: how should we evaluate our RAG pipeline before launch?")
    )

    mine = await chat.say("/caio advice mine")
    assert "answered by AI" in mine and "golden set of real questions" in mine


async def test_prompt_fits_the_context_budget(
    database_url: str, standin: OpenAIStandIn, chat: Chat
) -> None:
    chat.bot.advisor.context_chars = 1200
    await chat.say(QUESTION)
    [body] = standin.chat_requests
    sources = prompt_of(body).split("Sources:\n", 1)[1].split("Question:", 1)[0]
    numbered = re.findall(r"^\[\d+\] ", sources, re.MULTILINE)
    assert numbered, "at least one source reaches the model"
    body_chars = len(sources) - sum(len(line) for line in sources.splitlines() if line[:1] == "[")
    assert body_chars < 1200 + 200  # passage bodies stay near the budget


async def test_citations_pointing_at_nothing_are_stripped(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.reply = "Use a golden set [2] and track regressions [99][2]. Also see [0]."
    out = await chat.say(QUESTION)
    answer = out[out.index("Use a golden set") :].splitlines()[0]
    # [2] is renumbered [1] (the first source cited); [99] and [0] point at nothing.
    assert answer.strip() == "Use a golden set [1] and track regressions [1]. Also see ."
    sources = next(line for line in out.splitlines() if "Sources:" in line)
    assert "[1] " in sources and "[2] " not in sources


async def test_secrets_never_reach_the_model_nor_the_database(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    out = await chat.say(
        f"/caio ask our RAG evaluation job fails with key {FAKE_KEY} — how should we evaluate it?"
    )
    assert FAKE_KEY not in out
    assert "[REDACTED:" in out  # the question as posted in the channel
    sent = json.dumps(standin.chat_requests)
    assert standin.chat_requests and FAKE_KEY not in sent
    assert "[REDACTED:" in sent
    assert FAKE_KEY[8:30] not in sent  # no fragment either

    escalated = await chat.say(chat.button(out, "Escalate"))
    assert FAKE_KEY not in escalated
    await chat.say(f"/caio escalate is {FAKE_KEY} safe to keep in our repo?")
    async with chat.bot.db.session() as session:
        stored = [
            *(q.text for q in await session.exec(select(Question))),
            *(f"{a.question} {a.answer}" for a in await session.exec(select(Advice))),
            *(e.question for e in await session.exec(select(Escalation))),
        ]
    assert len(stored) >= 4
    assert all(FAKE_KEY[8:30] not in text for text in stored)
    assert sum("[REDACTED:" in text for text in stored) >= 3


async def test_streaming_answer_updates_the_placeholder(chat: Chat, standin: OpenAIStandIn) -> None:
    chat.adapter.live_updates = True  # as Slack and Discord do: edit one message as it grows
    standin.reply = "Start with thirty real questions [1], then automate the checks."
    out = await chat.say(QUESTION)

    [body] = standin.chat_requests
    assert body["stream"] is True
    thread_msgs = out.split("[#general › thread 1] caio-bot:")
    assert thread_msgs[1].strip().startswith("Thinking…")
    assert any(m.strip().startswith("Start") and m.strip().endswith("…") for m in thread_msgs[2:])
    final = thread_msgs[-1]
    assert "Start with thirty real questions [1], then automate the checks." in final
    assert "Sources: [1] Playbook:" in final
    chat.button(final, "Escalate")


async def test_llm_complete_streams_growing_text(
    settings: Settings, standin: OpenAIStandIn
) -> None:
    standin.reply = "one two three"
    seen: list[str] = []

    async def on_text(text: str) -> None:
        seen.append(text)

    llm = LLM(settings)
    try:
        text = await llm.complete([{"role": "user", "content": "hi"}], on_text)
    finally:
        await llm.close()
    assert text == "one two three"
    assert seen == ["one ", "one two ", "one two three"]


async def test_a_500_is_retried_by_the_client_then_answered(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.fail_next(500, times=2)
    out = await chat.say(QUESTION)
    assert len(standin.chat_requests) == 3  # two failures, then the answer: max_retries=2
    assert "Build a golden set of real questions first [1]." in out
    assert DEGRADED not in out


async def test_a_429_with_retry_after_is_retried(chat: Chat, standin: OpenAIStandIn) -> None:
    standin.fail_next(429, retry_after=0.01)
    out = await chat.say(QUESTION)
    assert len(standin.chat_requests) == 2
    assert "Build a golden set" in out and DEGRADED not in out


async def test_model_down_still_answers_offline_with_escalation(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.fail_next(500, times=10)
    out = await chat.say(QUESTION)
    assert len(standin.chat_requests) == 3  # bounded: 1 + max_retries, then give up
    assert DEGRADED in out
    assert "Here is what the playbook and your team's past advice say:" in out
    assert "Sources: [1] Playbook:" in out
    escalated = await chat.say(chat.button(out, "Escalate"))
    assert "Escalated to the CAIO as #1" in escalated
    assert "AI draft: Here is what the playbook" in escalated


async def test_slow_model_times_out_and_the_user_gets_the_offline_answer(
    database_url: str, standin: OpenAIStandIn, chat: Chat
) -> None:
    standin.delay = 1.5  # longer than CAIO_LLM_TIMEOUT (0.4 s)
    llm = chat.bot.advisor.llm
    assert llm is not None
    llm.client = llm.client.with_options(max_retries=1)
    out = await chat.say(QUESTION)
    assert len(standin.chat_requests) == 2  # the timeout is retried once, then given up
    assert DEGRADED in out
    assert "Here is what the playbook" in out
    chat.button(out, "Escalate")
    async with chat.bot.db.session() as session:
        [question] = list(await session.exec(select(Question)))
    assert question.status == "answered"


async def test_a_model_openai_never_heard_of_works(
    database_url: str, standin: OpenAIStandIn, clock: Any
) -> None:
    from bot.wiring import bootstrap_console, build_bot, start, stop

    settings = make_settings(
        database_url,
        openai_api_key="ollama",
        openai_base_url=standin.base_url,
        llm_model="llama3.1:8b-instruct-q4_K_M",
    )
    bot = build_bot(settings, clock=clock)
    chat = Chat(bot)
    bot.add_adapter(chat.adapter)
    await bootstrap_console(bot)
    await start(bot)
    try:
        out = await chat.say(QUESTION)
    finally:
        await stop(bot)
    assert standin.chat_requests[0]["model"] == "llama3.1:8b-instruct-q4_K_M"
    assert "Build a golden set" in out and DEGRADED not in out
    bot = build_bot(settings, clock=clock)
    try:
        async with bot.db.session() as session:
            [advice] = list(await session.exec(select(Advice)))
    finally:
        await stop(bot)
    assert advice.author == "AI (llama3.1:8b-instruct-q4_K_M)"


async def test_openai_reasoning_models_get_parameters_they_accept(
    database_url: str, standin: OpenAIStandIn
) -> None:
    """gpt-5 and o-series models reject `temperature` ≠ 1 and `max_tokens` with a 400."""
    settings = make_settings(
        database_url, openai_api_key="k", openai_base_url=standin.base_url, llm_model="gpt-5-mini"
    )
    llm = LLM(settings)
    try:
        await llm.complete([{"role": "user", "content": "hi"}])
    finally:
        await llm.close()
    [body] = standin.chat_requests
    assert "temperature" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] > settings.llm_max_tokens


async def test_an_empty_model_reply_falls_back_to_the_offline_answer(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.reply = ""
    out = await chat.say(QUESTION)
    assert DEGRADED in out
    assert "Here is what the playbook" in out
    assert "couldn't find anything" not in out


def test_the_offline_answer_quotes_pitfalls_as_pitfalls() -> None:
    """The fallback quotes lines; one from a Pitfalls list must not read as a recommendation."""
    from bot.advisor.offline import compose
    from bot.advisor.passages import Passage

    body = (
        "# Evaluating RAG\n\n## Build a golden set\n\n"
        "- Write 50 questions and evaluate their answers by hand.\n\n"
        "## Pitfalls\n\n- Evaluating only end-to-end answers on eval day.\n"
    )
    passage = Passage("playbook:rag-evaluation", "playbook", "Evaluating RAG", body, "playbook")
    answer = compose("how do we evaluate answers?", [passage])
    assert "• Write 50 questions and evaluate their answers by hand." in answer
    assert "• Avoid: Evaluating only end-to-end answers on eval day." in answer


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"id": "x", "object": "chat.completion", "choices": []}', "application/json"),
        ("{}", "application/json"),
        ("<html><body>502 Bad Gateway</body></html>", "text/html"),
    ],
)
async def test_a_malformed_model_reply_falls_back_to_the_offline_answer(
    chat: Chat, standin: OpenAIStandIn, body: str, content_type: str
) -> None:
    """A proxy's error page or a broken server answering 200: as unusable as a 500."""
    standin.garble_next(body, content_type)
    out = await chat.say(QUESTION)
    assert DEGRADED in out and "Here is what the playbook" in out
    assert "went wrong" not in out


async def test_a_broken_stream_chunk_is_a_model_error(
    settings: Settings, standin: OpenAIStandIn
) -> None:
    standin.garble_next('data: {"choices": [{"delta": {"content": "Hi\n\n', "text/event-stream")

    async def on_text(text: str) -> None:
        pass

    llm = LLM(settings)
    try:
        with pytest.raises(ModelError):
            await llm.complete([{"role": "user", "content": "hi"}], on_text)
    finally:
        await llm.close()


async def test_code_in_an_answer_is_left_as_written(chat: Chat, standin: OpenAIStandIn) -> None:
    standin.reply = "Keep the best hit [2].\n```python\nbest = hits[1]\n```\nThen `tokens[0]`."
    out = await chat.say(QUESTION)
    assert "Keep the best hit [1]." in out
    assert "best = hits[1]" in out and "`tokens[0]`" in out
    sources = next(line for line in out.splitlines() if "Sources:" in line)
    assert "[1] " in sources and "[2] " not in sources  # hits[1] is not a citation


async def test_citation_lists_and_ranges_are_checked_and_renumbered(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.reply = "Measure retrieval [2, 9] and generation [1-2]."
    out = await chat.say(QUESTION)
    assert "Measure retrieval [1] and generation [2][1]." in out


async def test_an_answer_citing_nothing_lists_no_sources(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.reply = "I don't know; the sources don't cover it. Please escalate."
    out = await chat.say(QUESTION)
    assert "Sources:" not in out
    assert "This answer cites no source: escalate if it matters." in out


async def test_only_sources_the_model_was_sent_can_be_cited(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    chat.bot.advisor.context_chars = 300  # room for one source
    standin.reply = "See the checklist [1] and the rubric [3]."
    out = await chat.say(QUESTION)
    [body] = standin.chat_requests
    sent = re.findall(r"^\[(\d+)\] ", prompt_of(body), re.MULTILINE)
    assert sent == ["1"]
    assert "See the checklist [1] and the rubric ." in out


async def test_asked_before_quotes_the_earlier_answer_without_its_citation_marks(
    chat: Chat, standin: OpenAIStandIn
) -> None:
    standin.reply = "Use a golden set [1] and track regressions [2]."
    first = await chat.say(QUESTION)
    await chat.say(chat.button(first, "Helpful"))
    standin.reply = "Start from the golden set [1]."
    again = await chat.say(QUESTION)
    before = again[again.index("*Asked before*") : again.index("Start from the golden set")]
    assert "Use a golden set and track regressions." in before
    assert "[" not in before.split("\n", 2)[-1]
    assert "regressions [2]" not in prompt_of(standin.chat_requests[-1])
