"""Nothing is lost on a restart, and nothing is answered twice.

A question is committed before any model call. If the process stops between that commit
and the answer (a deploy, a crash), the next process to start finishes it in the asker's
thread, once, however many processes start at the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from adapters.console import GENERAL
from bot.answering import claim, open_question_thread, record_question
from bot.clock import ManualClock
from bot.core import Bot
from bot.db.models import Advice, Client, Member, Question, QuestionStatus
from bot.wiring import bootstrap_console, build_bot, start, stop
from config.settings import Settings
from tests.conftest import Chat

ASKED = "how should we evaluate our RAG pipeline before launch?"


@pytest.fixture
async def processes() -> AsyncIterator[list[Chat]]:
    """Every 'process' a test boots, stopped at the end."""
    made: list[Chat] = []
    yield made
    for chat in made:
        await stop(chat.bot)


async def boot(processes: list[Chat], settings: Settings, clock: ManualClock) -> Chat:
    """A process as `caio-bot console` starts one: adapter, demo client, then `start`."""
    bot = build_bot(settings, clock=clock)
    chat = Chat(bot)
    bot.add_adapter(chat.adapter)
    await bootstrap_console(bot)
    processes.append(chat)
    return chat


async def leave_pending(bot: Bot) -> Question:
    """What a process leaves behind when it stops after storing a question, before answering."""
    async with bot.db.session() as session:
        client = await session.get(Client, "demo")
        [dev] = list(await session.exec(select(Member).where(Member.user_id == "dev")))
    assert client is not None
    question = await record_question(bot, client, dev, ASKED, GENERAL)
    await open_question_thread(bot, question, dev)
    return question


async def answers(bot: Bot) -> list[Advice]:
    async with bot.db.session() as session:
        return list(await session.exec(select(Advice)))


async def test_a_question_pending_at_shutdown_is_answered_after_restart(
    processes: list[Chat], settings: Settings, clock: ManualClock
) -> None:
    first = await boot(processes, settings, clock)
    await start(first.bot)
    question = await leave_pending(first.bot)
    assert "asked: how should we evaluate" in first.pop()
    await stop(first.bot)
    processes.remove(first)

    second = await boot(processes, settings, clock)
    await start(second.bot)
    await second.bot.drain()
    out = second.pop()
    assert out.count("[#general › thread 1] caio-bot:") == 1
    assert "Sources: [1] Playbook:" in out
    for label in ("Helpful", "Not helpful", "Escalate"):
        second.button(out, label)
    async with second.bot.db.session() as session:
        row = await session.get(Question, question.id)
    assert row is not None and row.status == QuestionStatus.ANSWERED
    assert len(await answers(second.bot)) == 1

    third = await boot(processes, settings, clock)
    await start(third.bot)
    await third.bot.drain()
    assert "caio-bot:" not in third.pop()  # already answered: said once, not again
    assert len(await answers(third.bot)) == 1


async def test_a_question_stored_before_its_thread_opened_is_not_lost(
    processes: list[Chat], settings: Settings, clock: ManualClock
) -> None:
    first = await boot(processes, settings, clock)
    await start(first.bot)
    async with first.bot.db.session() as session:
        client = await session.get(Client, "demo")
        [dev] = list(await session.exec(select(Member).where(Member.user_id == "dev")))
    assert client is not None
    await record_question(first.bot, client, dev, ASKED, GENERAL)  # then the process died
    await stop(first.bot)
    processes.remove(first)

    second = await boot(processes, settings, clock)
    await start(second.bot)
    await second.bot.drain()
    out = second.pop()
    assert "*dev* asked: how should we evaluate our RAG pipeline" in out
    assert out.count("[#general › thread 1] caio-bot:") == 1
    assert len(await answers(second.bot)) == 1


async def test_processes_starting_together_answer_once(
    processes: list[Chat], settings: Settings, clock: ManualClock
) -> None:
    first = await boot(processes, settings, clock)
    await leave_pending(first.bot)
    first.pop()
    others = [await boot(processes, settings, clock) for _ in range(3)]
    await start(first.bot)  # the first to boot loads the playbook; the rest start at once
    await asyncio.gather(*(start(p.bot) for p in others))
    await asyncio.gather(*(p.bot.drain() for p in [first, *others]))
    outputs = [p.pop() for p in [first, *others]]
    assert sum(o.count("› thread 1] caio-bot:") for o in outputs) == 1
    assert len(await answers(first.bot)) == 1


async def test_a_question_being_answered_elsewhere_is_left_alone_until_that_stalls(
    processes: list[Chat], settings: Settings, clock: ManualClock
) -> None:
    first = await boot(processes, settings, clock)
    question = await leave_pending(first.bot)
    assert question.id is not None
    assert await claim(first.bot, question.id)  # another process is drafting this answer
    assert not await claim(first.bot, question.id)

    deploy = await boot(processes, settings, clock)
    await start(deploy.bot)
    await deploy.bot.drain()
    assert "caio-bot:" not in deploy.pop()
    assert await answers(deploy.bot) == []

    clock.advance(timedelta(minutes=10))  # the other process died mid-answer
    later = await boot(processes, settings, clock)
    await start(later.bot)
    await later.bot.drain()
    assert later.pop().count("› thread 1] caio-bot:") == 1
    assert len(await answers(later.bot)) == 1


async def test_a_restarted_console_gives_new_threads_numbers_of_their_own(
    processes: list[Chat], settings: Settings, clock: ManualClock
) -> None:
    """Thread numbers are the console's own: reused after a restart, the CAIO's reply in
    the new escalation's thread would reach the old escalation's asker."""
    first = await boot(processes, settings, clock)
    await start(first.bot)
    await first.say("/caio escalate is fine-tuning worth it for us?")
    await stop(first.bot)

    second = await boot(processes, settings, clock)
    await start(second.bot)
    queued = await second.say("/caio escalate should we self-host Llama?")
    assert "Escalation #2" in queued and "thread 2 in #caio-queue" in queued

    await second.say("/as dana caio")
    assert "you are in #caio-queue › thread 2" in await second.say("/thread 2")
    relayed = await second.say("Only once you have a GPU budget and an on-call for it.")
    assert "answered escalation #2" in relayed and "#1" not in relayed


async def test_stopping_with_work_in_flight_names_it_in_the_log(bot: Bot) -> None:
    """Past the drain's grace the process exits anyway: the log says what was cut off."""
    never = asyncio.Event()
    task = bot.spawn(never.wait(), name="answer-question-7")
    with capture_logs() as logs:
        await bot.drain(grace=0)
    task.cancel()
    (stopping,) = [e for e in logs if e["event"] == "stopping with work in flight"]
    assert stopping["tasks"] == ["answer-question-7"] and stopping["log_level"] == "warning"
