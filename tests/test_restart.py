"""Nothing is lost on a restart, and nothing is answered twice.

A question is committed before any model call. If the process stops between that commit
and the answer (a deploy, a crash), the next process to start finishes it in the asker's
thread, once, however many processes start at the same time; a process killed mid-answer
is found out by its missing heartbeats, and what it held is answered within seconds, by
a process starting or one already running. A live process is never robbed of its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from adapters.console import GENERAL
from bot.answering import adopt_orphans, claim_lease, open_question_thread, record_question
from bot.clock import ManualClock
from bot.core import Bot
from bot.db.models import Advice, Client, Member, Question, QuestionStatus
from bot.liveness import HEARTBEAT, PRESUMED_DEAD
from bot.wiring import bootstrap_console, build_bot, start, stop
from config.settings import Settings
from tests.conftest import Chat, kill, make_settings
from tests.standins.openai_server import OpenAIStandIn

ASKED = "how should we evaluate our RAG pipeline before launch?"
WAIT = 10.0  # a model call that never arrives fails the test instead of hanging it


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn("Start with a golden set of 50 real questions [1].") as standin:
        yield standin


@pytest.fixture
def llm_settings(database_url: str, llm: OpenAIStandIn) -> Settings:
    return make_settings(database_url, openai_api_key="sk-test", openai_base_url=llm.base_url)


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


async def heartbeat(chat: Chat) -> None:
    """One turn of the loop every process runs each `HEARTBEAT` (`Liveness.start`)."""
    await chat.bot.liveness.beat()
    await adopt_orphans(chat.bot)


async def drafting(
    processes: list[Chat], settings: Settings, clock: ManualClock, llm: OpenAIStandIn
) -> tuple[Chat, asyncio.Event]:
    """A process drafting the answer to a pending question, the model still thinking;
    setting the event lets the model answer."""
    first = await boot(processes, settings, clock)
    await leave_pending(first.bot)
    first.pop()
    go = llm.hold()
    await start(first.bot)  # takes the pending question up as it starts
    await asyncio.wait_for(llm.arrived.wait(), WAIT)
    return first, go


async def test_a_stop_that_cuts_an_answer_off_hands_it_to_the_next_process_at_once(
    processes: list[Chat], llm_settings: Settings, clock: ManualClock, llm: OpenAIStandIn
) -> None:
    """SIGTERM on a deploy, the model slower than the drain's grace: the new process
    answers as it starts, not 2.5 minutes later when the old claim would have lapsed."""
    first, go = await drafting(processes, llm_settings, clock, llm)
    await first.bot.drain(grace=0)  # the grace runs out mid-answer
    await stop(first.bot)
    processes.remove(first)
    go.set()

    second = await boot(processes, llm_settings, clock)  # no time passes
    await start(second.bot)
    await second.bot.drain()
    assert second.pop().count("› thread 1] caio-bot:") == 1
    assert "caio-bot:" not in first.pop()
    assert len(await answers(second.bot)) == 1


async def test_a_process_started_after_a_crash_answers_at_once(
    processes: list[Chat], llm_settings: Settings, clock: ManualClock, llm: OpenAIStandIn
) -> None:
    first, go = await drafting(processes, llm_settings, clock, llm)
    await kill(first.bot)
    go.set()
    clock.advance(PRESUMED_DEAD + timedelta(seconds=1))  # the platform restarts it

    second = await boot(processes, llm_settings, clock)
    await start(second.bot)
    await second.bot.drain()
    assert second.pop().count("› thread 1] caio-bot:") == 1
    assert len(await answers(second.bot)) == 1


async def test_a_running_process_takes_over_a_killed_ones_question_within_seconds(
    processes: list[Chat], llm_settings: Settings, clock: ManualClock, llm: OpenAIStandIn
) -> None:
    first, go = await drafting(processes, llm_settings, clock, llm)
    await kill(first.bot)
    go.set()
    second = await boot(processes, llm_settings, clock)
    await start(second.bot)
    await second.bot.drain()
    assert "caio-bot:" not in second.pop()  # just killed: not presumed dead yet

    clock.advance(PRESUMED_DEAD + HEARTBEAT)
    assert claim_lease(second.bot) / 3 > PRESUMED_DEAD + HEARTBEAT
    await heartbeat(second)
    await second.bot.drain()
    assert second.pop().count("› thread 1] caio-bot:") == 1
    assert len(await answers(second.bot)) == 1


async def test_processes_taking_over_a_dead_ones_question_answer_it_once(
    processes: list[Chat], llm_settings: Settings, clock: ManualClock, llm: OpenAIStandIn
) -> None:
    first, go = await drafting(processes, llm_settings, clock, llm)
    await kill(first.bot)
    go.set()
    others = [await boot(processes, llm_settings, clock) for _ in range(3)]
    for other in others:
        await start(other.bot)
    clock.advance(PRESUMED_DEAD + HEARTBEAT)
    for other in others:
        await other.bot.liveness.beat()
    await asyncio.gather(*(adopt_orphans(other.bot) for other in others))
    await asyncio.gather(*(other.bot.drain() for other in others))
    assert sum(other.pop().count("› thread 1] caio-bot:") for other in others) == 1
    assert len(await answers(first.bot)) == 1


async def test_a_live_process_waiting_on_a_slow_model_keeps_its_question(
    processes: list[Chat], llm_settings: Settings, clock: ManualClock, llm: OpenAIStandIn
) -> None:
    first, go = await drafting(processes, llm_settings, clock, llm)
    second = await boot(processes, llm_settings, clock)
    await start(second.bot)
    for _ in range(12):  # two minutes of a model still thinking, both processes beating
        clock.advance(HEARTBEAT)
        await heartbeat(first)
        await heartbeat(second)
    await second.bot.drain()
    assert "caio-bot:" not in second.pop()
    assert len(llm.chat_requests) == 1  # nobody asked the model a second time

    go.set()
    await first.bot.drain()
    assert first.pop().count("› thread 1] caio-bot:") == 1
    assert len(await answers(first.bot)) == 1


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
