"""`/caio ask` on Slack as a user sees it: acknowledged at once, the question posted in the
channel, the answer in its thread with buttons, clicks settling the message, usage errors
only for the person who typed them."""

from __future__ import annotations

from sqlmodel import select

from bot.db.models import Advice, AdviceSource, Feedback
from tests.slack.conftest import CLIENT, GENERAL, SlackHarness

QUESTION = "how should we evaluate our RAG pipeline before launch?"


async def test_ask_posts_the_question_and_answers_in_its_thread(slack: SlackHarness) -> None:
    reply = await slack.command(f"ask {QUESTION}")
    assert reply.status == 200 and reply.text == ""
    await slack.settle()

    asked, answer = slack.api.calls("chat.postMessage")
    assert asked.args["channel"] == GENERAL and "thread_ts" not in asked.args
    assert f"*dana* asked: {QUESTION}" in asked.text
    root_ts = slack.api.messages[GENERAL][0]["ts"]
    assert answer.args["channel"] == GENERAL and answer.args["thread_ts"] == root_ts
    assert "golden" in answer.text.lower() or "eval" in answer.text.lower()
    assert answer.buttons == ["Helpful", "Not helpful", "Escalate"]


async def test_helpful_click_settles_the_message_for_everyone(slack: SlackHarness) -> None:
    await slack.command(f"ask {QUESTION}")
    await slack.settle()
    answer = slack.api.calls("chat.postMessage")[-1]
    answer_ts = slack.api.messages[GENERAL][-1]["ts"]

    reply = await slack.click(answer, "Helpful", ts=answer_ts)
    assert reply.status == 200
    await slack.settle()

    (update,) = slack.api.calls("chat.update")
    assert update.args["ts"] == answer_ts
    assert update.buttons == ["Escalate"]
    assert "Marked helpful by dana" in update.text
    (thanks,) = slack.api.calls("response_url")
    assert thanks.args["response_type"] == "ephemeral" and "marked helpful" in thanks.text
    async with slack.bot.db.session() as session:
        advice = (await session.exec(select(Advice))).one()
    assert advice.feedback == Feedback.HELPFUL


async def test_usage_errors_are_ephemeral(slack: SlackHarness) -> None:
    await slack.command("ask")
    await slack.settle()
    await slack.command("frobnicate now")
    await slack.settle()

    usage, unknown = slack.api.calls("response_url")
    assert usage.args["response_type"] == "ephemeral" and "Usage: `/caio ask" in usage.text
    assert unknown.args["response_type"] == "ephemeral" and "/caio frobnicate" in unknown.text
    assert slack.api.calls("chat.postMessage") == []


async def test_typed_mentions_are_escaped_when_echoed(slack: SlackHarness) -> None:
    # Slack sends what a person typed with &, < and > escaped; we must not unescape it
    # into live markup when posting it back.
    await slack.command("ask &lt;!channel&gt; &lt;@U999&gt; &lt;!here&gt; is pgvector ok?")
    await slack.settle()

    posted = " ".join(c.text for c in slack.api.calls("chat.postMessage"))
    assert "&lt;!channel&gt;" in posted
    for live in ("<!channel>", "<@U999>", "<!here>"):
        assert live not in posted


async def test_a_question_answered_before_leads_with_that_answer(slack: SlackHarness) -> None:
    async with slack.bot.db.session() as session:
        session.add(
            Advice(
                client_id=CLIENT,
                question="How should we evaluate our RAG pipeline before launch?",
                answer="Build a golden set of 50 real questions first.",
                source=AdviceSource.CAIO,
                author="carla",
                created_at=slack.bot.clock.now(),
            )
        )
        await session.commit()
    await slack.command(f"ask {QUESTION}")
    await slack.settle()
    answer = slack.api.calls("chat.postMessage")[-1]
    assert "*Asked before*" in answer.text and "carla (CAIO)" in answer.text
    assert "golden set of 50 real questions" in answer.text


async def test_nothing_relevant_says_so_and_offers_escalation(slack: SlackHarness) -> None:
    await slack.command("ask is the parking garage open on sunday?")
    await slack.settle()
    answer = slack.api.calls("chat.postMessage")[-1]
    assert "couldn't find anything" in answer.text
    assert answer.buttons[-1] == "Escalate"
