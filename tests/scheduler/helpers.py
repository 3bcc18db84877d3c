"""Shared steps for schedule tests: client settings, a second worker, typing as someone."""

from __future__ import annotations

from typing import Any

from bot.core import Bot
from bot.db.models import Client
from bot.events import Actor, Address, ThreadReply
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
    """A plain reply in the DM where the prompt arrived, as Slack and Discord deliver it."""
    reply = ThreadReply(
        text, Actor("console", name, name), Address("console", "console", f"@{name}")
    )
    await chat.bot.dispatch(reply, chat.adapter)
    await chat.bot.drain()
    return chat.pop()


def workers(bot: Bot) -> tuple[Engine, Engine]:
    """Two engines on one database, as two `worker` processes would be."""
    return Engine(bot, worker="worker-a"), Engine(bot, worker="worker-b")
