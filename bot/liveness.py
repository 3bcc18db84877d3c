"""Which processes are alive, so that what a dead one claimed is taken over at once.

Every process writes its own heartbeat row when it starts and every `HEARTBEAT` after;
one not seen for `PRESUMED_DEAD` (killed, out of memory, crashed) or whose row is gone
(stopped: it deletes its row on the way out) holds nothing any more. A live process keeps
its row fresh from its own loop whatever its answers are waiting on, so a slow model call
is never taken over.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, delete, exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped
from sqlmodel import col

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models_process import Heartbeat

log = structlog.get_logger(__name__)

HEARTBEAT = timedelta(seconds=10)
PRESUMED_DEAD = timedelta(seconds=30)  # three beats missed: well past a busy loop's stall


def gone(owner: Mapped[str | None], now: datetime) -> ColumnElement[bool]:
    """SQL: the process named by `owner` has not been seen for `PRESUMED_DEAD`."""
    return ~exists().where(
        col(Heartbeat.process) == owner, col(Heartbeat.seen_at) >= now - PRESUMED_DEAD
    )


class Liveness:
    """This process's name and heartbeat: started before it claims anything, stopped
    (its row deleted, so its claims are free at once) after its work has drained."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Several Bots may share one OS process (tests, benchmarks): the suffix tells them apart.
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._loop: asyncio.Task[None] | None = None

    async def beat(self) -> None:
        """Say this process is alive now: one upsert of its own row, nothing else, so
        processes beating together never wait on each other (dead rows are pruned by the
        sweep, `bot.retention`)."""
        now = self.clock.now()
        table = Heartbeat.__table__  # type: ignore[attr-defined]  # SQLModel leaves it untyped
        async with self.db.session() as session:
            conn = await session.connection()
            insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            await conn.execute(
                insert(table)
                .values(process=self.process, seen_at=now)
                .on_conflict_do_update(index_elements=["process"], set_={"seen_at": now})
            )
            await session.commit()

    def start(self, after_beat: Callable[[], Awaitable[object]]) -> None:
        """Beat every `HEARTBEAT` until stopped, running `after_beat` (taking over what dead
        processes left) after each."""
        self._loop = asyncio.create_task(self._run(after_beat), name=f"heartbeat {self.process}")

    async def _run(self, after_beat: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                await self.beat()
                await after_beat()
            except Exception:  # the database restarting: the next beat tries again
                log.warning("heartbeat failed", process=self.process, exc_info=True)

    async def stop(self) -> None:
        """Stop beating and delete this process's row: what it still holds is free now."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        try:
            async with self.db.session() as session:
                await session.exec(delete(Heartbeat).where(col(Heartbeat.process) == self.process))
                await session.commit()
        except Exception:  # then its claims are free once it is presumed dead
            log.warning("heartbeat row not removed", process=self.process, exc_info=True)
