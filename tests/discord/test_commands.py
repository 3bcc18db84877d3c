"""The `/caio` command tree: synced per guild on start, globally on request, typed options
folded back into the chat grammar, autocomplete from the client's own data (open
escalations only for those who may answer them), and always an answer, even on a bug."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.discord import DiscordAdapter
from bot.cli import app
from bot.cli.discord import sync_commands
from tests.discord.conftest import (
    CAIO_ROLE,
    DANA,
    DEV,
    GENERAL,
    GUILD,
    QUEUE,
    DiscordHarness,
    discord_settings,
)
from tests.standins.discord_api import EPHEMERAL, DiscordStandIn

INTENTS = {"guilds": 1 << 0, "guild_messages": 1 << 9, "dm_messages": 1 << 12, "content": 1 << 15}


async def test_commands_are_synced_to_the_guild_on_start(dc: DiscordHarness) -> None:
    (caio,) = dc.api.commands[GUILD]
    assert caio["name"] == "caio"
    subs = {o["name"]: o for o in caio["options"]}
    assert list(subs) == ["ask", "escalate", "answer", "advice", "help", "run"]
    answer = {o["name"]: o for o in subs["answer"]["options"]}
    assert answer["id"]["type"] == 4 and answer["id"]["autocomplete"] is True
    assert answer["text"]["max_length"] == 4000
    assert subs["ask"]["description"].startswith("Ask for advice")
    assert "global" not in dc.api.commands, "global sync only on request"
    identify = dc.api.identify
    assert identify is not None and identify["token"] == "test-token"
    assert identify["intents"] == sum(INTENTS.values())


async def test_global_sync_on_request(database_url: str, discord_api: DiscordStandIn) -> None:
    count = await sync_commands(discord_settings(database_url, discord_api))
    assert count == 1
    (caio,) = discord_api.commands["global"]
    assert caio["name"] == "caio" and caio["contexts"] == [0], "guilds only, never DMs"
    assert discord_api.identify is None, "REST only: no gateway connection for a sync"
    assert "sync" in CliRunner().invoke(app, ["discord", "--help"]).output


async def test_typed_options_become_the_chat_grammar(dc: DiscordHarness) -> None:
    await dc.slash("escalate", question="how do we handle OpenAI rate limits in production?")
    await dc.slash(
        "answer", DANA, (CAIO_ROLE,), QUEUE, id=1, text="Retry with exponential backoff."
    )
    token = await dc.slash("advice", search="rate limits")
    shown = dc.original(token)
    assert shown is not None and shown["flags"] & 64
    text = dc.api.visible_text(shown)
    assert "Advice matching “rate limits”" in text and "answered by dana (CAIO)" in text

    token = await dc.slash("run", text="advice mine")
    shown = dc.original(token)
    assert shown is not None and "Advice you received" in dc.api.visible_text(shown)

    token = await dc.slash("run", text="frobnicate now")
    told = dc.original(token)
    assert told is not None and told["flags"] & EPHEMERAL
    assert "I don't know `/caio frobnicate`" in told["content"]


async def test_autocomplete_offers_open_escalations_and_past_questions(
    dc: DiscordHarness,
) -> None:
    await dc.slash("escalate", question="can we fine-tune on support tickets?")
    await dc.slash("escalate", question="how do we handle OpenAI rate limits in production?")
    choices = await dc.autocomplete("answer", "id", "", DANA, (CAIO_ROLE,))
    assert [c["value"] for c in choices] == [1, 2]
    assert choices[0]["name"] == "#1 can we fine-tune on support tickets?"
    rate = await dc.autocomplete("answer", "id", "rate", DANA, (CAIO_ROLE,))
    assert [c["value"] for c in rate] == [2]

    await dc.slash("answer", DANA, (CAIO_ROLE,), QUEUE, id=2, text="Back off and retry.")
    left = await dc.autocomplete("answer", "id", "", DANA, (CAIO_ROLE,))
    assert [c["value"] for c in left] == [1]
    found = await dc.autocomplete("advice", "search", "rate limits")
    assert [c["value"] for c in found] == [
        "rate limits",
        "how do we handle OpenAI rate limits in production?",
    ]
    heads = await dc.autocomplete("help", "topic", "a")
    assert {c["value"] for c in heads} >= {"ask", "answer", "advice"}


async def test_open_escalations_are_suggested_only_to_those_who_may_answer(
    database_url: str, discord_api: DiscordStandIn, dc: DiscordHarness
) -> None:
    await dc.slash("escalate", question="can we fine-tune on customer tickets?")
    assert await dc.autocomplete("answer", "id", "", DEV) == []
    assert await dc.autocomplete("answer", "id", "fine", DEV) == []
    assert len(await dc.autocomplete("answer", "id", "", DANA, (CAIO_ROLE,))) == 1


async def test_a_whitespace_run_is_answered_privately(dc: DiscordHarness) -> None:
    token = await dc.slash("run", text="   ")
    shown = dc.original(token)
    assert shown is not None and shown["flags"] & EPHEMERAL, "deferred privately: the help"
    assert "/caio ask" in dc.api.visible_text(shown)


async def test_a_private_run_is_private_from_its_thinking_on(dc: DiscordHarness) -> None:
    token = await dc.slash("run", DANA, (CAIO_ROLE,), text="hours")
    (callback,) = dc.api.calls_to("POST", f"/{token}/callback")
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    shown = dc.original(token)
    assert shown is not None and "Acme hours" in dc.api.visible_text(shown)
    assert dc.api.calls_to("DELETE", token) == [], "no public thinking… to take away"
    assert dc.api.in_channel(GENERAL) == [shown]


async def test_a_failing_command_still_answers_privately(
    dc: DiscordHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(DiscordAdapter, "on_command", broken)
    token = await dc.slash("ask", question="how do we evaluate our RAG pipeline?")
    (callback,) = dc.api.calls_to("POST", f"/{token}/callback")
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & EPHEMERAL
    assert callback.body["data"]["content"].startswith("Sorry, something went wrong")
