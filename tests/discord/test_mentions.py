"""Mentions typed into a question: nothing the bot posts pings anyone, and people, roles and
channels reach the thread, the advice log and the model by name, as Discord shows them."""

from __future__ import annotations

from sqlmodel import select

from bot.db.models import Question
from tests.discord.conftest import GENERAL, LEAD_ROLE, QUEUE, SAM, DiscordHarness

STRANGER = "1399999999999999999"


async def test_echoed_mentions_do_not_ping(dc: DiscordHarness) -> None:
    question = f"@everyone <@&{LEAD_ROLE}> <@{SAM['id']}> what is our policy on prompt logging?"
    token = await dc.slash("ask", question=question)
    asked = dc.original(token)
    assert asked is not None and "@everyone @Tech Leads @sam what is our policy" in asked["content"]
    posts = [
        c
        for c in dc.api.calls
        if c.method in ("POST", "PATCH") and isinstance(c.body, dict) and "content" in c.body
    ]
    assert len(posts) >= 2, "the question and the answer"
    assert all(c.body["allowed_mentions"] == {"parse": []} for c in posts)


async def test_a_question_is_stored_with_names_and_unknown_ids_kept(dc: DiscordHarness) -> None:
    await dc.slash(
        "ask",
        question=f"should <@!{SAM['id']}> or <@{STRANGER}> own evals in <#{GENERAL}>?",
    )
    async with dc.bot.db.session() as session:
        stored = (await session.exec(select(Question))).one()
    # A user who left the server (the stand-in answers 404) cannot be named: the id stays.
    assert stored.text == f"should @sam or <@{STRANGER}> own evals in #general?"


async def test_an_escalation_reaches_the_queue_with_names(dc: DiscordHarness) -> None:
    await dc.slash("escalate", question=f"can <@{SAM['id']}> get access to the eval data?")
    (ticket,) = dc.api.in_channel(QUEUE)
    seen = dc.api.visible_text(ticket)
    assert "can @sam get access to the eval data?" in seen
    assert f"<@{SAM['id']}>" not in seen
