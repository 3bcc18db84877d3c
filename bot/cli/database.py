"""The database for one CLI command: opened from its URL, closed however the command ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.db.engine import Database


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[Database]:
    """`async with open_database(url) as db, db.session() as session:` in every command."""
    db = Database(url)
    try:
        yield db
    finally:
        await db.close()
