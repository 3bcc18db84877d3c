"""A message longer than Discord's 2,000 characters that is edited again and again (a
streamed answer) is split once: each edit edits the parts already posted, never posts them
again."""

from __future__ import annotations

import pytest

import bot.answering as answering
from bot.clock import ManualClock
from bot.events import Address
from bot.message import Message
from tests.discord.conftest import (
    GENERAL,
    GUILD,
    QUEUE,
    DiscordHarness,
    discord_settings,
    running,
)
from tests.standins.discord_api import DiscordStandIn
from tests.standins.openai_server import OpenAIStandIn

STEP = "Build a golden set of real questions from your support logs and score retrieval. " * 5
LONG_REPLY = "\n\n".join(f"Step {n}: {STEP}" for n in range(6)) + " [1]"


async def test_a_streamed_answer_over_2000_characters_is_posted_once(
    database_url: str,
    discord_api: DiscordStandIn,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answering, "STREAM_INTERVAL", 0.0)  # every streamed chunk is an edit
    async with OpenAIStandIn(LONG_REPLY) as llm:
        settings = discord_settings(
            database_url, discord_api, openai_api_key="sk-test", openai_base_url=llm.base_url
        )
        async with running(discord_api, settings, clock) as dc:
            await dc.slash("ask", question="how should we evaluate our RAG pipeline?")
    (thread,) = dc.threads_of(GENERAL)
    shown = dc.api.in_channel(thread)
    assert len(discord_api.calls_to("PATCH", f"/channels/{thread}/messages/")) > 10, "streamed"
    assert len(shown) == 2, "the placeholder and one continuation, however many edits"
    assert len(discord_api.calls_to("POST", f"/channels/{thread}/messages")) == 2
    text = "\n".join(m["content"] for m in shown)
    assert all(text.count(f"Step {n}:") == 1 for n in range(6))
    assert " …" not in text, "the last edit replaced the streaming text everywhere"
    assert [b["label"] for b in discord_api.buttons(shown[-1])][-1] == "Escalate"
    assert not discord_api.buttons(shown[0]), "buttons only under the last part"


async def test_an_edit_that_needs_fewer_parts_removes_the_rest(dc: DiscordHarness) -> None:
    posted = await dc.adapter.send(Message("Thinking…", address=Address("discord", GUILD, QUEUE)))
    await dc.adapter.update(posted, Message("x" * 4500))
    assert [len(m["content"]) for m in dc.api.in_channel(QUEUE)] == [2000, 2000, 500]

    await dc.adapter.update(posted, Message("y" * 2500))
    assert [m["content"][0] for m in dc.api.in_channel(QUEUE)] == ["y", "y"]

    await dc.adapter.update(posted, Message("Short in the end."))
    (only,) = dc.api.in_channel(QUEUE)
    assert only["id"] == posted.message_id and only["content"] == "Short in the end."
