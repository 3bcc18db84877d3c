"""A Slack outage while answering: the stored answer is delivered by the scheduler once
Slack is back (once, however many workers), and after the last attempt the asker is told
and the question kept. The real Slack adapter against the Slack stand-in's scripted 503s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select
from tenacity import wait_none

from bot import answering
from bot.clock import ManualClock
from bot.db.models import Advice, Question, QuestionStatus
from bot.db.models_schedule import FireClaim
from scheduler.engine import Engine
from scheduler.redeliver import ATTEMPTS, GIVE_UP, RETRY
from tests.slack.conftest import DANA, GENERAL, SlackHarness

MENTION = {
    "type": "app_mention",
    "user": DANA,
    "text": "<@UBOT> how should we evaluate our RAG pipeline before launch?",
    "ts": "1764000200.000100",
    "channel": GENERAL,
}
ONE_ATTEMPT = 5  # the Slack client's first try and its retry handler's four retries
LEASE = timedelta(minutes=3)  # past an attempt's claim (30 s model timeout x 3 + 60 s)


def _answers(slack: SlackHarness) -> list[str]:
    return [c.text for c in slack.api.delivered("chat.postMessage") if "Helpful" in c.buttons]


async def _due(slack: SlackHarness, *engines: Engine) -> None:
    for engine in engines:
        await engine.run_due(slack.bot.clock.now())
    await slack.settle()


async def _claims(slack: SlackHarness, job: str) -> list[str]:
    async with slack.bot.db.session() as session:
        rows = await session.exec(
            select(FireClaim).where(FireClaim.job == job).order_by(col(FireClaim.fire_at))
        )
        return [r.reason for r in rows]


async def _question(slack: SlackHarness) -> Question:
    async with slack.bot.db.session() as session:
        return (await session.exec(select(Question))).one()


async def test_answer_stranded_by_an_outage_is_delivered_once_when_slack_is_back(
    slack: SlackHarness, clock: ManualClock
) -> None:
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)
    await slack.event(MENTION)
    await slack.settle()
    assert _answers(slack) == []
    workers = Engine(slack.bot, worker="a"), Engine(slack.bot, worker="b")

    clock.advance(timedelta(minutes=1))  # the first attempt's claim still holds
    await _due(slack, *workers)
    assert len(slack.api.calls("chat.postMessage")) == ONE_ATTEMPT

    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)  # still down
    clock.advance(LEASE)
    await _due(slack, *workers)
    assert len(slack.api.calls("chat.postMessage")) == 2 * ONE_ATTEMPT  # one retry, not two
    assert _answers(slack) == []

    clock.advance(LEASE)  # Slack is back
    await _due(slack, *workers)
    (answer,) = _answers(slack)
    assert "eval" in answer.lower() or "golden" in answer.lower()
    assert (await _question(slack)).status == QuestionStatus.ANSWERED
    async with slack.bot.db.session() as session:
        assert len(list(await session.exec(select(Advice)))) == 1  # drafted and logged once
    attempts = await _claims(slack, RETRY)
    assert attempts[0].startswith("attempt failed") and attempts[1:] == ["delivered"]

    clock.advance(LEASE)
    await _due(slack, *workers)
    assert len(_answers(slack)) == 1


async def test_after_the_last_attempt_the_asker_is_told_and_the_question_kept(
    slack: SlackHarness, clock: ManualClock
) -> None:
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT * (1 + ATTEMPTS))
    await slack.event(MENTION)
    await slack.settle()
    workers = Engine(slack.bot, worker="a"), Engine(slack.bot, worker="b")
    for _ in range(ATTEMPTS):
        clock.advance(LEASE)
        await _due(slack, *workers)
    assert len(slack.api.calls("chat.postMessage")) == ONE_ATTEMPT * (1 + ATTEMPTS)
    assert len(await _claims(slack, RETRY)) == ATTEMPTS

    clock.advance(LEASE)  # Slack answers again, but the attempts are used up
    await _due(slack, *workers)
    (told,) = [c for c in slack.api.delivered("chat.postMessage") if "could not deliver" in c.text]
    assert told.args["channel"] == "DDANA"  # a direct message to the asker
    assert "how should we evaluate our RAG pipeline" in told.text
    assert "Your question is kept" in told.text
    assert _answers(slack) == []
    assert (await _question(slack)).status == QuestionStatus.PENDING
    assert await _claims(slack, GIVE_UP) == [
        f"gave up after {ATTEMPTS} delivery attempts; question kept; asker told by direct message"
    ]

    clock.advance(LEASE)
    await _due(slack, *workers)
    assert len(slack.api.calls("chat.postMessage")) == ONE_ATTEMPT * (1 + ATTEMPTS) + 1


async def test_an_ask_whose_thread_could_not_be_opened_is_answered_in_a_new_thread(
    slack: SlackHarness, clock: ManualClock
) -> None:
    slack.api.fail_next("chat.postMessage", 503, times=ONE_ATTEMPT)  # the question's root post
    await slack.command("ask how do we pick an embedding model?")
    await slack.settle()
    assert slack.api.delivered("chat.postMessage") == []

    clock.advance(LEASE)
    await _due(slack, Engine(slack.bot, worker="a"), Engine(slack.bot, worker="b"))
    (answer,) = [c for c in slack.api.delivered("chat.postMessage") if "Helpful" in c.buttons]
    (root,) = [m for m in slack.api.messages[GENERAL] if "asked" in m["text"]]
    assert answer.args["thread_ts"] == root["ts"]
    assert "embedding model" in root["text"]
    assert (await _question(slack)).status == QuestionStatus.ANSWERED


async def test_an_answer_delivered_while_the_database_restarts_is_posted_once(
    slack: SlackHarness, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answering, "_MARK_WAIT", wait_none())  # no real waiting between tries
    monkeypatch.setattr(answering, "_MARK_LATER_WAIT", wait_none())
    refusals = 8  # past the handler's own retries: the write succeeds in the background

    def restarting(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal refusals
        if statement.startswith("UPDATE question SET status") and refusals:
            refusals -= 1
            raise OperationalError(statement, None, ConnectionError("the database restarts"))

    event.listen(slack.bot.db.engine.sync_engine, "before_cursor_execute", restarting)
    await slack.event(MENTION)
    await slack.settle()
    await slack.settle()  # the status write the handler left running
    assert refusals == 0
    assert len(_answers(slack)) == 1
    said = [c.text for c in slack.api.log if c.method in ("chat.postEphemeral", "response_url")]
    assert not [t for t in said if "something went wrong" in t]
    assert (await _question(slack)).status == QuestionStatus.ANSWERED

    workers = Engine(slack.bot, worker="a"), Engine(slack.bot, worker="b")
    clock.advance(LEASE)  # past the claim: a pending question would be redelivered now
    await _due(slack, *workers)
    assert len(_answers(slack)) == 1
