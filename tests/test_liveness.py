"""Heartbeats: processes beating at once never fail each other, and a process long dead
is forgotten by the sweep's pruning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot import retention
from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models_process import Heartbeat
from bot.liveness import PRESUMED_DEAD, Liveness

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_processes_beating_at_once_after_an_outage_all_succeed(database_url: str) -> None:
    """After a database outage longer than `PRESUMED_DEAD`, every process's row is stale
    to every other, and all of them beat as the database comes back. Each used to lock its
    own row and then wait for the others' to delete them: on PostgreSQL a deadlock, and
    the process whose first beat failed at start did not start."""
    clock = ManualClock(START)
    dbs = [Database(database_url) for _ in range(4)]
    processes = [Liveness(db, clock) for db in dbs]
    try:
        for _ in range(10):
            for process in processes:
                await process.beat()
            clock.advance(PRESUMED_DEAD * 2)  # the outage: every row is stale now
            await asyncio.gather(*(p.beat() for p in processes))
        async with dbs[0].session() as session:
            seen = {row.process: row.seen_at for row in await session.exec(select(Heartbeat))}
        assert seen == {p.process: clock.now() for p in processes}
    finally:
        for db in dbs:
            await db.engine.dispose()


async def test_a_process_long_dead_is_forgotten(database_url: str) -> None:
    clock = ManualClock(START)
    db = Database(database_url)
    dead, alive = Liveness(db, clock), Liveness(db, clock)
    try:
        await dead.beat()
        clock.advance(timedelta(hours=2))
        await alive.beat()
        await retention.prune(db, clock.now())
        async with db.session() as session:
            rows = [row.process for row in await session.exec(select(Heartbeat))]
        assert rows == [alive.process]
    finally:
        await db.engine.dispose()
