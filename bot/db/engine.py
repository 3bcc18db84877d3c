"""One async engine per process, with the URL the operator gave normalised to async drivers."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

_Row = TypeVar("_Row", bound=SQLModel)

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.set(drivername=drivers[backend]).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """`sqlite:///x.db` → aiosqlite, `postgresql://` (or `postgres://`) → psycopg 3."""
    return _with_driver(url.replace("postgres://", "postgresql://", 1), _ASYNC_DRIVERS)


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (Alembic and benchmarks)."""
    return _with_driver(url.replace("postgres://", "postgresql://", 1), _SYNC_DRIVERS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while a writer commits; the busy timeout rides out short locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class LockTimeout(Exception):
    """`Database.lock` waited its whole timeout for another holder; nothing ran."""


class Database:
    """Owns the engine; hands out sessions. Knows which full-text dialect is in use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(async_url(url), pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def lock(self, key: str, *, timeout_seconds: int = 60) -> AsyncIterator[None]:
        """Held by one holder at a time, across every process on this database, for
        check-then-act steps that must not interleave (two people escalating the same
        question at once, each to another `web` process).

        On PostgreSQL this is a transaction-scoped advisory lock on a connection of its own,
        so it is released when the block ends or the connection dies, and a wait longer than
        `timeout_seconds` raises `LockTimeout` instead of hanging. SQLite serves one process
        (DESIGN.md), where the in-process lock is the whole story; on PostgreSQL it also
        keeps a process from tying up a pooled connection per waiter.
        """
        async with self._locks[key]:
            if self.dialect != "postgresql":
                yield
                return
            async with self.engine.connect() as conn, conn.begin():
                await conn.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_seconds)}s'"))
                try:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": key},
                    )
                except OperationalError as exc:
                    if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                        raise LockTimeout(key) from exc
                    raise
                yield

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    async def update(self, model: type[_Row], row_id: object, **values: Any) -> _Row | None:
        """Set some columns of one row by primary key, committed; None if there is no row."""
        async with self.session() as session:
            row = await session.get(model, row_id)
            if row is None:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            await session.commit()
            return row

    async def close(self) -> None:
        await self.engine.dispose()
