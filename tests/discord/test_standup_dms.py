"""Stand-ups of clients that share people. A Discord user id is public, so a lead may name as
participants only people of their own server; and a person has one DM channel with the bot
whatever the server, so a reply there is filed under the team whose prompt it answers:
the prompt it replies to, the only open one, or the one the person picks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import retention
from bot.clock import ManualClock
from bot.db.models import Member
from bot.db.models_schedule import CheckInAnswer, PromptMessage
from bot.directory import ensure_client, link_workspace
from bot.message import Message
from scheduler.engine import Engine
from tests.discord.conftest import (
    DANA,
    DEV,
    GENERAL,
    GUILD,
    LEAD_ROLE,
    SAM,
    DiscordHarness,
    DiscordStandIn,
    command_data,
    discord_settings,
    running,
)
from tests.standins.discord_api import user_payload

GLOBEX = "1200000000000000002"
GLOBEX_GENERAL = "1200000000000000030"
GLOBEX_LEAD_ROLE = "1200000000000000301"
GLOBEX_LEAD = user_payload("1300000000000000009", "gus")
OUTSIDER = user_payload("1300000000000000099", "eve")
ANSWER = "shipped the eval harness | today: prompt caching | blockers: none"


def add_globex(api: DiscordStandIn) -> None:
    """Globex's server, with dana in it too."""
    lead = {"id": GLOBEX_LEAD_ROLE, "name": "Tech Leads", "permissions": "0", "position": 1}
    api.add_guild(GLOBEX, "Globex", roles=[lead])
    api.add_channel(GLOBEX_GENERAL, GLOBEX, "general")
    for person in (DANA, GLOBEX_LEAD):
        api.add_member(GLOBEX, person)


@asynccontextmanager
async def running_two(
    database_url: str, api: DiscordStandIn, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    """A harness for Acme and Globex, each a client with its own server; stopped after."""
    async with running(api, discord_settings(database_url, api), clock) as dc:
        async with dc.bot.db.session() as session:
            await ensure_client(session, "globex", name="Globex", now=clock.now())
            await link_workspace(session, "globex", "discord", GLOBEX)
        yield dc


@pytest.fixture
async def two(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    add_globex(discord_api)
    async with running_two(database_url, discord_api, clock) as dc:
        yield dc


async def run_in(
    dc: DiscordHarness, guild: str, channel: str, text: str, user: dict[str, Any], role: str
) -> str:
    """`/caio run <text>` in any guild's channel; returns what the caller was shown."""
    data = command_data("run", {"text": text})
    data["guild_id"] = guild
    payload = dc.interaction(2, data, user, [role], channel)
    payload.update(guild_id=guild, guild={"id": guild, "locale": "en-US", "features": []})
    payload["authorizing_integration_owners"] = {"0": guild}
    dc.api.interactions[payload["token"]].guild_id = guild
    dc._deliver(payload)
    await dc.settle()
    shown = [dc.original(payload["token"]), *dc.followups(payload["token"])]
    return "\n".join(dc.api.visible_text(m) for m in shown if m)


async def prompt_dana(dc: DiscordHarness, guild: str, channel: str, lead: dict[str, Any]) -> None:
    role = LEAD_ROLE if guild == GUILD else GLOBEX_LEAD_ROLE
    setup = f"standup setup at 09:30 tz UTC participants <@{DANA['id']}>"
    assert "Stand-up set up" in await run_in(dc, guild, channel, setup, lead, role)
    await run_in(dc, guild, channel, "standup now", lead, role)


async def answers(dc: DiscordHarness) -> dict[str, list[str]]:
    async with dc.bot.db.session() as session:
        rows = await session.exec(select(CheckInAnswer))
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.client_id, []).append(row.text)
        return found


def dm_reply(dc: DiscordHarness, dm: str, content: str, to: dict[str, Any]) -> dict[str, Any]:
    """Dana's message in her DM, made with Discord's Reply on the bot's message `to`."""
    message = dc.api.user_message(dm, DANA, content)
    message.update(type=19, message_reference={"message_id": to["id"], "channel_id": dm})
    message["referenced_message"] = to
    return message


async def test_a_lead_cannot_name_someone_from_outside_their_server(dc: DiscordHarness) -> None:
    setup = f"standup setup at 09:30 tz UTC participants <@{OUTSIDER['id']}> <@{DEV['id']}>"
    shown = await run_in(dc, GUILD, GENERAL, setup, SAM, LEAD_ROLE)
    assert f"<@{OUTSIDER['id']}> is not in this workspace" in shown
    assert "Stand-up set up" not in shown
    async with dc.bot.db.session() as session:
        people = {m.user_id for m in await session.exec(select(Member))}
    assert OUTSIDER["id"] not in people, "no member is made for someone of another server"
    assert dc.api.calls_to("GET", f"/guilds/{GUILD}/members/{OUTSIDER['id']}")

    setup = f"standup setup at 09:30 tz UTC participants <@{DEV['id']}>"
    assert "Stand-up set up" in await run_in(dc, GUILD, GENERAL, setup, SAM, LEAD_ROLE)


async def test_globex_cannot_prompt_an_acme_developer(two: DiscordHarness) -> None:
    setup = f"standup setup at 09:30 tz UTC participants <@{DEV['id']}>"
    shown = await run_in(two, GLOBEX, GLOBEX_GENERAL, setup, GLOBEX_LEAD, GLOBEX_LEAD_ROLE)
    assert f"<@{DEV['id']}> is not in this workspace" in shown
    await run_in(two, GLOBEX, GLOBEX_GENERAL, "standup now", GLOBEX_LEAD, GLOBEX_LEAD_ROLE)
    assert not [c for c in two.api.channels.values() if c["type"] == 1], "nobody was DMed"


async def test_with_two_teams_waiting_the_person_is_asked_which(two: DiscordHarness) -> None:
    await prompt_dana(two, GUILD, GENERAL, SAM)
    await prompt_dana(two, GLOBEX, GLOBEX_GENERAL, GLOBEX_LEAD)
    dm = two.api.open_dm(DANA["id"])
    acme_prompt, globex_prompt = two.api.in_channel(dm)

    await two.say(dm, ANSWER, DANA, dm=True)
    question = two.api.in_channel(dm)[-1]
    assert "Which team is this answer for?" in question["content"]
    assert [b["label"] for b in two.api.buttons(question)] == ["Acme", "Globex"]
    assert await answers(two) == {}, "nothing filed before the person says where"

    await two.click(question, "Acme", DANA, dm=True)
    assert "Filed under Acme." in two.api.messages[question["id"]]["content"]
    assert not two.api.buttons(two.api.messages[question["id"]])
    assert "Thanks dana: recorded for" in two.api.in_channel(dm)[-1]["content"]
    assert await answers(two) == {"acme": [ANSWER]}

    globex = "done: the RAG demo | today: evals | blockers: none"
    reply = dm_reply(two, dm, globex, globex_prompt)
    await two.deliver_message(reply)
    assert await answers(two) == {"acme": [ANSWER], "globex": [globex]}
    assert "Which team" not in two.api.in_channel(dm)[-1]["content"]
    assert acme_prompt["embeds"][0]["title"].startswith("Stand-up · Acme")


async def test_a_reply_goes_to_the_open_prompt_not_the_last_team_to_dm(
    two: DiscordHarness,
) -> None:
    """Dana shares both servers; Globex DMed her last, but only Acme's stand-up waits."""
    await prompt_dana(two, GUILD, GENERAL, SAM)
    await two.adapter.send_direct(GLOBEX, DANA["id"], Message("Your escalation was answered."))
    dm = two.api.open_dm(DANA["id"])
    await two.say(dm, ANSWER, DANA, dm=True)
    assert await answers(two) == {"acme": [ANSWER]}
    assert "Thanks dana: recorded for" in two.api.in_channel(dm)[-1]["content"]


async def test_a_reply_to_a_prompt_finds_its_team_after_a_restart(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> None:
    """Which team each prompt belongs to is in the database: after a restart, a Reply to
    Globex's prompt is Globex's without asking, though Acme's stand-up waits too. A month
    later the sweep has pruned that record, and kept those of the prompts it sent now."""
    add_globex(discord_api)
    async with running_two(database_url, discord_api, clock) as before:
        await prompt_dana(before, GUILD, GENERAL, SAM)
        await prompt_dana(before, GLOBEX, GLOBEX_GENERAL, GLOBEX_LEAD)
    dm = discord_api.open_dm(DANA["id"])
    _, globex_prompt = discord_api.in_channel(dm)

    async with running_two(database_url, discord_api, clock) as after:
        reply = dm_reply(after, dm, ANSWER, globex_prompt)
        await after.deliver_message(reply)
        assert await answers(after) == {"globex": [ANSWER]}
        assert "Which team" not in "".join(m["content"] for m in discord_api.in_channel(dm))
        assert "Thanks dana: recorded for" in discord_api.in_channel(dm)[-1]["content"]

        clock.advance(retention.PROMPT_MESSAGES + timedelta(days=1))
        engine = Engine(after.bot, sweep_seconds=3600)
        await engine.start()
        await engine.sweep()
        await engine.stop()
        async with after.bot.db.session() as session:
            kept = list(await session.exec(select(PromptMessage)))
        assert kept and all(m.sent_at == clock.now() for m in kept)
        assert globex_prompt["id"] not in {m.message_id for m in kept}
