"""The threads the database remembers on one platform.

The console numbers its threads itself, so a restarted console must know which numbers
are taken: otherwise a new escalation's queue thread would reuse an old one's number and
the CAIO's reply there would reach the wrong asker.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Escalation, Question
from bot.db.models_practice import Decision
from bot.db.models_schedule import Run
from bot.events import Address

_ADDRESS_COLUMNS = (
    col(Question.origin_address),
    col(Question.thread_address),
    col(Escalation.origin_address),
    col(Escalation.queue_address),
    col(Decision.thread_address),
    col(Run.thread_address),
)


async def stored_threads(session: AsyncSession, platform: str) -> set[Address]:
    """Every thread on `platform` that a stored question, escalation, decision or check-in
    lives in."""
    threads: set[Address] = set()
    for column in _ADDRESS_COLUMNS:
        on_platform = column.startswith(f"{platform}|")
        keys = await session.exec(select(column).where(on_platform).distinct())
        for key in keys:
            address = Address.parse(key) if key else None
            if address is not None and address.thread is not None:
                threads.add(address)
    return threads
