"""Shared steps for schedule tests: client settings, a second worker, its heartbeat, typing as
someone."""

from __future__ import annotations

from typing import Any

from bot.core import Bot
from bot.db.models import Client
from bot.liveness import Liveness
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


async def beat(bot: Bot, *workers: str) -> None:
    """The heartbeats of workers a test names, as each one's own process writes them every
    `HEARTBEAT` while it runs: a worker not seen for `PRESUMED_DEAD` holds no fire."""
    for worker in workers:
        liveness = Liveness(bot.db, bot.clock)
        liveness.process = worker
        await liveness.beat()
