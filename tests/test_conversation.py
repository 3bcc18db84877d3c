"""The whole advisory flow in the console, as a user would type it."""

from __future__ import annotations

from tests.conftest import Chat


async def test_ask_escalate_answer_and_find_it_again(chat: Chat) -> None:
    answer = await chat.say("/caio ask how should we evaluate our RAG pipeline before launch?")
    assert "dev* asked: how should we evaluate our RAG pipeline" in answer
    assert "thread 1" in answer
    assert "Sources: [1] Playbook:" in answer
    for label in ("Helpful", "Not helpful", "Escalate"):
        chat.button(answer, label)

    escalated = await chat.say(chat.button(answer, "Escalate"))
    assert "Escalation #1" in escalated and "#caio-queue" in escalated
    assert "Escalated to the CAIO as #1" in escalated
    assert "Asked in: #general › thread 1" in escalated
    assert "Expect an answer by" in escalated

    refused = await chat.say("/caio answer 1 use a golden set")
    assert "Only the CAIO or an admin can use `/caio answer`" in refused

    await chat.say("/as dana caio")
    relayed = await chat.say(
        "/caio answer 1 Start with 30 real questions and their expected sources."
    )
    assert "[#general › thread 1] caio-bot:" in relayed
    assert "*dana* (CAIO) answered escalation #1" in relayed
    assert "Answer to #1 relayed and logged" in relayed

    await chat.say("/as dev")
    found = await chat.say("/caio advice search expected sources")
    assert "answered by dana (CAIO)" in found
    assert "asked by dev" in found

    mine = await chat.say("/caio advice mine")
    assert mine.index("dana (CAIO)") < mine.index("answered by AI")

    # Only `@name` names a person, in any case; a bare word is a typo, not a teammate.
    shouted = await chat.say("/caio advice @DEV")
    assert "Advice for dev" in shouted and "answered by dana (CAIO)" in shouted
    typo = await chat.say("/caio advice bogus")
    assert "Usage: `/caio advice [search <terms> | mine | @user]`" in typo
    assert "I don't know" not in typo
    assert "I don't know @bogus in this team" in await chat.say("/caio advice @bogus")


async def test_caio_reply_in_queue_thread_is_relayed_and_teammates_are_not(chat: Chat) -> None:
    await chat.say("/caio escalate can we send customer emails to OpenAI under our DPA?")
    await chat.say("/as sam lead")
    # `/thread N` goes to that thread wherever it is; a thread that does not exist is refused,
    # not entered, so nothing typed there is lost.
    assert "there is no thread 7" in await chat.say("/thread 7")
    assert "you are in #caio-queue › thread 1" in await chat.say("/thread 1")
    chatter = await chat.say("I think legal should look at this")
    assert "answered escalation" not in chatter
    await chat.say("/as dana caio")
    relayed = await chat.say("Yes, with the zero-retention addendum signed; strip PII first.")
    assert "[#general] caio-bot:" in relayed
    assert "zero-retention addendum" in relayed
    assert "[#caio-queue › thread 1] caio-bot:\n  Relayed to dev." in relayed
    logged = await chat.say(chat.button(relayed, "Log 30m"))
    assert "Logged 30 m for Demo Co: answered escalation #1" in logged


async def test_nothing_relevant_says_so_and_offers_escalation(chat: Chat) -> None:
    out = await chat.say("/caio ask what's the weather like in Lisbon tomorrow?")
    assert "couldn't find anything" in out
    assert "Helpful" not in out
    chat.button(out, "Escalate")


async def test_feedback_is_stored_and_not_helpful_offers_escalation(chat: Chat) -> None:
    out = await chat.say("/caio ask which vector database should we pick for embeddings?")
    thanks = await chat.say(chat.button(out, "Helpful"))
    assert "marked helpful" in thanks
    sorry = await chat.say(chat.button(out, "Not helpful"))
    assert "Want the CAIO to answer it instead?" in sorry
    chat.button(sorry, "Escalate")
    log = await chat.say("/caio advice mine")
    assert "👎 not helpful" in log


async def test_asked_before_leads_with_the_earlier_answer(chat: Chat) -> None:
    await chat.say("/caio escalate how do we handle OpenAI rate limits in production?")
    await chat.say("/as dana caio")
    await chat.say("/caio answer 1 Retry with exponential backoff and jitter; queue bulk jobs.")
    await chat.say("/as dev")
    again = await chat.say("/caio ask how do we handle OpenAI rate limits in production")
    assert "*Asked before* — Advice from dana (CAIO)" in again
    assert "exponential backoff and jitter" in again


async def test_help_lists_what_the_caller_may_run(chat: Chat) -> None:
    member_help = await chat.say("/caio help")
    assert "`/caio ask <question>`" in member_help
    assert "/caio answer" not in member_help
    # A family a member runs only part of shows that part, not the lead's commands.
    assert "`/caio standup show` · `/caio standup why`" in member_help
    assert "`/caio radar` · `/caio radar history <tech>`" in member_help
    for refused in ("setup", "pause", "radar set", "share add", "/caio decide "):
        assert refused not in member_help, refused
    # In the grammar's order: asking first, help last.
    lines = [line.split("`")[1] for line in member_help.splitlines() if "`/caio" in line]
    assert lines[0] == "/caio ask <question>" and lines[-1].startswith("/caio help")
    await chat.say("/as dana caio")
    assert "`/caio answer <id> <text>`" in await chat.say("/caio help")
    usage = await chat.say("/caio help ask")
    assert "e.g. `/caio ask where should we keep our embeddings?`" in usage


async def test_the_help_s_example_question_is_answered_from_the_entry_it_is_about(
    chat: Chat,
) -> None:
    """The first question a new user tries, offline: its words are not the entry's title."""
    usage = await chat.say("/caio help ask")
    example = usage.split("e.g. `", 1)[1].split("`", 1)[0]
    answer = await chat.say(example)
    assert "Sources: [1] Playbook: Vector stores — pgvector or a dedicated database?" in answer


async def test_bad_input_gets_a_short_usage_line(chat: Chat) -> None:
    assert "Usage: `/caio ask <question>`" in await chat.say("/caio ask")
    # Nothing to ask is not posted for the channel to see.
    nothing = await chat.say("/caio ask ???")
    assert "What would you like to ask?" in nothing and "asked:" not in nothing
    assert "What should the CAIO answer?" in await chat.say("/caio escalate 🤖 🤖 !")
    too_long = await chat.say("/caio escalate " + "why? " * 1000)
    assert "over 4000 characters" in too_long and "Escalated" not in too_long
    assert "I don't know `/caio frobnicate`" in await chat.say("/caio frobnicate now")
    await chat.say("/as dana caio")
    assert "Usage: `/caio answer <id> <text>`" in await chat.say("/caio answer soon")
    assert "There is no escalation #99" in await chat.say("/caio answer 99 hello")
    assert "there is no button [42]" in await chat.say("42")


async def test_queue_message_resolves_and_reopens(chat: Chat) -> None:
    queued = await chat.say("/caio escalate should juniors use Copilot on client code?")
    assert "** Escalation #1 **" in queued
    refused = await chat.say(chat.button(queued, "Mark resolved"))
    assert "Only the CAIO or an admin" in refused
    await chat.say("/as dana caio")
    await chat.say("/channel caio-queue")
    resolved = await chat.say(chat.button(queued, "Mark resolved"))
    assert "(Resolved.)" in resolved and "Escalation #1 marked resolved by dana" in resolved
    reopened = await chat.say(chat.button(resolved, "Reopen"))
    assert "Escalation #1 reopened by dana" in reopened
    chat.button(reopened, "Mark resolved")


async def test_a_direct_message_nobody_was_waiting_for_gets_a_hint(chat: Chat) -> None:
    await chat.say("/channel @dev")
    out = await chat.say("hey, can you help me with embeddings?")
    assert "I only take commands here" in out and "/caio ask <question>" in out
    await chat.say("/channel general")
    assert "plain chat is not for me" in await chat.say("hey, can you help me?")
