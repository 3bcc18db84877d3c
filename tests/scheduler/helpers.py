"""Shared steps for schedule tests: client settings, a second worker, typing as someone."""

from __future__ import annotations

from typing import Any

from bot.core import Bot
from bot.db.models import Client
from scheduler.engine import Engine
from tests.conftest import Chat


async def set_client(bot: Bot, **values: Any) -> None:
    async with bot.db.session() as session:
        client = await session.get(Client, "demo")
        assert client is not None
        for key, value in values.items():
            setattr(client, key, value)
        session.add(client)
        await session.commit()


async def team(chat: Chat, *names: str, lead: str = "lee") -> None:
    """Members who have used the bot (the console's default participants); `lead` last."""
    for name in names:
        await chat.say(f"/as {name}")
        await chat.say("/caio help")
    await chat.say(f"/as {lead} lead")


async def reply_in_dm(chat: Chat, name: str, text: str) -> str:
    """A plain reply typed in the DM where the prompt arrived (`/channel @name`), which the
    console delivers as a thread reply, as Slack and Discord do."""
    await chat.say(f"/as {name}")
    await chat.say(f"/channel @{name}")
    answer = await chat.say(text)
    await chat.say("/channel general")
    return answer


def workers(bot: Bot) -> tuple[Engine, Engine]:
    """Two engines on one database, as two `worker` processes would be."""
    return Engine(bot, worker="worker-a"), Engine(bot, worker="worker-b")
