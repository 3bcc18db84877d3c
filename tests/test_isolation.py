"""One client's advice never reaches another client's people.

Demo Co and Acme share the bot (and, in the console, the platform). Everything Demo's
team asked and was told must stay invisible from Acme's workspace, however an Acme
member asks: the advice log, someone's name, a forged button, the CAIO's answer command.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from adapters.console import PLATFORM
from bot.db.models import Advice, Escalation, EscalationStatus, Feedback, Role
from bot.directory import ensure_client, link_workspace, set_role
from bot.events import Action, Actor, Address
from tests.conftest import Chat

ACME_WS = "acme-ws"
ACME_GENERAL = Address(PLATFORM, ACME_WS, "general")
ACME_QUEUE = Address(PLATFORM, ACME_WS, "caio-queue")
# A phrase only Demo's advice contains, so any leak shows up in what Acme sees.
SECRET_SAUCE = "Demo's zanzibar ledger pipeline retries through the quokka gateway"


def be(chat: Chat, name: str, where: Address) -> None:
    """Type as `name` in `where` (the console's `/as` only knows the demo workspace)."""
    chat.adapter.state.actor = Actor(PLATFORM, name, name)
    chat.adapter.state.address = where


@pytest.fixture
async def two_clients(chat: Chat) -> dict[str, int]:
    """Demo: a question answered by AI, escalated and answered by its CAIO. Acme: empty."""
    out = await chat.say("/caio ask how should we evaluate our RAG pipeline before launch?")
    await chat.say(chat.button(out, "Escalate"))
    await chat.say("/as dana caio")
    await chat.say(f"/caio answer 1 {SECRET_SAUCE} with golden-set evaluation.")
    await chat.say("/as dev")

    async with chat.bot.db.session() as session:
        await ensure_client(
            session, "acme", name="Acme", now=chat.bot.clock.now(), queue=ACME_QUEUE
        )
        await link_workspace(session, "acme", PLATFORM, ACME_WS)
        await set_role(session, "acme", Actor(PLATFORM, "zoe", "zoe"), Role.CAIO)
        demo = list(await session.exec(select(Advice).where(Advice.client_id == "demo")))
        [escalation] = list(await session.exec(select(Escalation)))
    ai = next(a for a in demo if a.source == "ai")
    caio = next(a for a in demo if a.source == "caio")
    assert ai.question_id is not None and escalation.id is not None and caio.id and ai.id
    return {
        "ai_advice": ai.id,
        "caio_advice": caio.id,
        "question": ai.question_id,
        "escalation": escalation.id,
    }


async def test_demo_sees_its_own_advice(chat: Chat, two_clients: dict[str, int]) -> None:
    """The control: the same searches do find the advice from Demo's own workspace."""
    assert "zanzibar ledger" in await chat.say("/caio advice search zanzibar quokka")
    assert "zanzibar ledger" in await chat.say("/caio advice @dev")


async def test_advice_log_is_per_client(chat: Chat, two_clients: dict[str, int]) -> None:
    be(chat, "dev", ACME_GENERAL)  # same display name as Demo's dev, another company
    seen = [
        await chat.say("/caio advice search zanzibar quokka"),
        await chat.say("/caio advice search evaluate RAG pipeline"),
        await chat.say("/caio advice"),
        await chat.say("/caio advice mine"),
        await chat.say("/caio advice @dev"),
        await chat.say("/caio advice @dana"),
    ]
    for out in seen:
        assert "ledger" not in out and "golden" not in out
        assert "[#general] (only you) caio-bot:" in out
    assert "nothing yet" in seen[0] and "nothing yet" in seen[2]
    assert "I don't know @dana in this team" in seen[5]


async def test_asking_the_same_question_does_not_reuse_another_clients_answer(
    chat: Chat, two_clients: dict[str, int]
) -> None:
    be(chat, "eve", ACME_GENERAL)
    out = await chat.say("/caio ask zanzibar ledger pipeline quokka gateway evaluation")
    assert "zanzibar ledger pipeline retries" not in out
    assert "Asked before" not in out
    assert "Advice from dana" not in out


async def test_buttons_carrying_another_clients_ids_do_nothing(
    chat: Chat, two_clients: dict[str, int]
) -> None:
    be(chat, "zoe", ACME_GENERAL)
    zoe = Actor(PLATFORM, "zoe", "zoe")
    forged = [
        ("advice.helpful", two_clients["ai_advice"], "That advice is no longer available."),
        ("advice.not_helpful", two_clients["caio_advice"], "That advice is no longer available."),
        ("question.escalate", two_clients["question"], "That question is no longer available."),
        (
            "escalation.resolve",
            two_clients["escalation"],
            "That escalation is no longer available.",
        ),
    ]
    for action_id, value, refusal in forged:
        await chat.bot.dispatch(Action(action_id, str(value), zoe, ACME_GENERAL, "1"), chat.adapter)
        await chat.bot.drain()
        out = chat.pop()
        assert refusal in out, (action_id, out)
        assert "zanzibar" not in out and "Escalated" not in out

    async with chat.bot.db.session() as session:
        advice = list(await session.exec(select(Advice)))
        escalations = list(await session.exec(select(Escalation)))
    assert all(a.feedback is None for a in advice)
    assert len(escalations) == 1 and escalations[0].status == EscalationStatus.ANSWERED


async def test_a_caio_of_one_client_cannot_answer_anothers_escalation(
    chat: Chat, two_clients: dict[str, int]
) -> None:
    await chat.say("/caio escalate can we fine-tune on customer tickets?")  # Demo's #2, open
    be(chat, "zoe", ACME_GENERAL)
    out = await chat.say("/caio answer 2 Yes, go ahead.")
    assert "There is no escalation #2 here." in out
    assert "answered escalation" not in out
    async with chat.bot.db.session() as session:
        escalation = await session.get(Escalation, 2)
        answers = list(await session.exec(select(Advice).where(Advice.escalation_id == 2)))
    assert escalation is not None and escalation.status == EscalationStatus.OPEN
    assert answers == []


async def test_feedback_from_the_right_client_still_works(
    chat: Chat, two_clients: dict[str, int]
) -> None:
    """The refusal above is about the client, not the button: Demo's own click counts."""
    dev = Actor(PLATFORM, "dev", "dev")
    general = Address(PLATFORM, "console", "general")
    await chat.bot.dispatch(
        Action("advice.helpful", str(two_clients["caio_advice"]), dev, general, "1"), chat.adapter
    )
    assert "marked helpful" in chat.pop()
    async with chat.bot.db.session() as session:
        row = await session.get(Advice, two_clients["caio_advice"])
    assert row is not None and row.feedback == Feedback.HELPFUL
