"""What Slack's own behaviour demands: signed requests only, retries that never answer
twice, rate limits waited out, and an outage that delays an answer without losing it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from bot.answering import resume_pending
from bot.clock import ManualClock
from bot.db.models import Advice, Question, QuestionStatus
from tests.slack.conftest import DANA, GENERAL, SlackHarness

MENTION = {
    "type": "app_mention",
    "user": DANA,
    "text": "<@UBOT> how should we evaluate our RAG pipeline before launch?",
    "ts": "1764000200.000100",
    "channel": GENERAL,
}


def _answers(slack: SlackHarness) -> list[str]:
    return [c.text for c in slack.api.delivered("chat.postMessage") if "Helpful" in c.buttons]


async def test_forged_signature_and_stale_timestamp_are_refused(slack: SlackHarness) -> None:
    body = b"command=%2Fcaio&text=help&team_id=T0CAIO&user_id=UDANA&channel_id=CGENERAL"
    form = "application/x-www-form-urlencoded"
    forged = await slack.post("/slack/events", body, form, secret="not-the-secret")
    stale = await slack.post("/slack/events", body, form, timestamp=int(time.time()) - 600)
    assert (forged.status, stale.status) == (401, 401)
    await slack.settle()
    assert [c.method for c in slack.api.log if c.method != "auth.test"] == []  # only start's


async def test_url_verification_echoes_the_challenge(slack: SlackHarness) -> None:
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV", "type": "url_verification"}
    )
    reply = await slack.post("/slack/events", body.encode(), "application/json")
    assert reply.status == 200 and "3eZbrw1aBm2rZgRNFdxV" in reply.text


async def test_a_retried_mention_is_answered_once(slack: SlackHarness) -> None:
    first = await slack.event(MENTION, event_id="Ev0MENTION")
    again = await slack.event(MENTION, event_id="Ev0MENTION", retry=1)
    assert (first.status, again.status) == (200, 200)
    await slack.settle()

    (answer,) = slack.api.calls("chat.postMessage")
    assert answer.args["thread_ts"] == MENTION["ts"]  # answered in the mention's own thread
    assert answer.buttons == ["Helpful", "Not helpful", "Escalate"]


async def test_rate_limited_post_is_retried_after_retry_after(slack: SlackHarness) -> None:
    slack.api.fail_next("chat.postMessage", 429, retry_after=0, error="ratelimited")
    await slack.event(MENTION)
    await slack.settle()

    assert len(slack.api.calls("chat.postMessage")) == 2  # the 429, then the retry
    assert len(_answers(slack)) == 1


async def test_slack_outage_keeps_the_answer_and_delivers_it_later(
    slack: SlackHarness, clock: ManualClock
) -> None:
    slack.api.fail_next("chat.postMessage", 503, times=5)  # more than the retry handler's 4
    await slack.event(MENTION)
    await slack.settle()

    assert _answers(slack) == []
    async with slack.bot.db.session() as session:
        assert (await session.exec(select(Advice))).first() is not None  # drafted and stored
        question = (await session.exec(select(Question))).one()
    assert question.status == QuestionStatus.PENDING

    clock.advance(timedelta(minutes=10))  # past the dead attempt's claim
    assert await resume_pending(slack.bot) == 1
    await slack.settle()

    (answer,) = _answers(slack)
    assert "eval" in answer.lower() or "golden" in answer.lower()
    async with slack.bot.db.session() as session:
        question = (await session.exec(select(Question))).one()
        logged = list(await session.exec(select(Advice)))
    assert question.status == QuestionStatus.ANSWERED
    assert len(logged) == 1  # the stored draft is delivered, not drafted and logged again


async def test_ack_comes_back_before_the_answer_is_drafted(slack: SlackHarness) -> None:
    reply = await slack.command("ask how do we pick an embedding model?")
    assert reply.status == 200 and reply.seconds < 1.0


async def _rename(slack: SlackHarness, old: str, new: str) -> None:
    async with slack.bot.db.session() as session:
        # Raw SQL goes through the session's connection: SQLModel types exec() for ORM statements.
        connection = await session.connection()
        await connection.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))
        await session.commit()


async def test_an_event_the_database_cannot_take_is_not_acknowledged(
    slack: SlackHarness,
) -> None:
    """Acknowledged, it would be lost: Slack never sends it again. Unacknowledged, Slack
    retries, and the retry is answered once the database is back."""
    await _rename(slack, "slack_event", "slack_event_away")  # the database refuses writes
    first = await slack.event(MENTION, event_id="Ev0DBDOWN")
    await slack.settle()
    assert first.status >= 500
    assert _answers(slack) == []

    await _rename(slack, "slack_event_away", "slack_event")
    again = await slack.event(MENTION, event_id="Ev0DBDOWN", retry=1)
    await slack.settle()
    assert again.status == 200
    assert len(_answers(slack)) == 1


@asynccontextmanager
async def database_down(slack: SlackHarness) -> AsyncIterator[None]:
    """The database stops taking connections, as while it restarts: new connections go to
    a port nothing listens on and are refused by the real driver."""
    db = slack.bot.db
    real = db.engine
    db.engine = create_async_engine("postgresql+psycopg://caio@127.0.0.1:9/caio")
    try:
        yield
    finally:
        await db.engine.dispose()
        db.engine = real


async def test_a_click_while_the_database_is_down_is_answered_with_try_again(
    slack: SlackHarness,
) -> None:
    await slack.command("ask how should we evaluate our RAG pipeline before launch?")
    await slack.settle()
    (answer,) = [c for c in slack.api.delivered("chat.postMessage") if "Helpful" in c.buttons]
    async with database_down(slack):
        clicked = await slack.click(answer, "Helpful")
        await slack.settle()
    assert clicked.status == 200
    said = slack.api.calls("response_url")[-1].args["text"]
    assert "can't reach my database right now" in said and "try again in a minute" in said


async def test_a_thread_mention_slack_will_not_show_the_thread_of_is_still_answered(
    slack: SlackHarness,
) -> None:
    """The event is claimed before the ack, so Slack's resend would be ignored: a thread
    history Slack refuses (a private channel without the scope) must not cost the answer."""
    root = slack.api.add_message(GENERAL, DANA, "We ship the RAG bot next week")
    slack.api.fail_next(
        "conversations.replies", 200, error="missing_scope", needed="groups:history"
    )
    await slack.event({**MENTION, "ts": slack.api.next_ts(), "thread_ts": root["ts"]})
    await slack.settle()
    (answer,) = [c for c in slack.api.delivered("chat.postMessage") if "Helpful" in c.buttons]
    assert answer.args["thread_ts"] == root["ts"] and "Playbook:" in answer.text
