"""A new person's first events arriving together each get an answer, and one member row."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.db.models import Member
from bot.events import Actor, Command
from tests.conftest import Chat


async def test_simultaneous_first_commands_from_a_new_person(chat: Chat) -> None:
    newcomer = Actor("console", "noor", "noor")
    here = chat.adapter.state.address
    await asyncio.gather(
        *(chat.bot.dispatch(Command("help", newcomer, here), chat.adapter) for _ in range(40))
    )
    out = chat.pop()
    assert "something went wrong" not in out
    assert out.count("caio-bot: advice from your CAIO's playbook") == 40
    async with chat.bot.db.session() as session:
        rows = list(await session.exec(select(Member).where(Member.user_id == "noor")))
    assert len(rows) == 1
