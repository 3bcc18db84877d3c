"""Exactly-once fires: every scheduled send is claimed by inserting a unique
(job, ref, fire_at) row before anything is sent.

`INSERT … ON CONFLICT DO NOTHING RETURNING` on both SQLite and PostgreSQL: a worker that
gets no row back lost the race (or a restart already did it) and sends nothing. Claims are
batched (a busy minute's stand-ups are claimed a hundred per statement) and can share the
transaction that writes what the fire sends (`claim_on`).

A claimed fire whose send failed (the platform down past its client's retries, the
database restarting) is marked `failed`; a later sweep takes it back (`retake`, one
worker wins) and sends again, until the fire is older than the grace window (`give_up`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select, update

from bot.db.engine import Database
from bot.db.models_schedule import FireClaim, Outcome
from bot.text import shorten


@dataclass(frozen=True)
class Fire:
    """One thing due at one time: `job` says what (prompt, remind, summary, …), `ref` which."""

    client_id: str
    job: str
    ref: str
    fire_at: datetime
    outcome: Outcome = Outcome.SENT
    reason: str = ""

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.job, self.ref, self.fire_at)


async def claim(db: Database, fires: Sequence[Fire], *, now: datetime, worker: str) -> list[Fire]:
    """The fires this worker won, in the order given; the rest belong to someone else."""
    if not fires:
        return []
    async with db.session() as session:
        won = await claim_on(await session.connection(), fires, now=now, worker=worker)
        await session.commit()
    return won


async def claim_on(
    conn: AsyncConnection, fires: Sequence[Fire], *, now: datetime, worker: str
) -> list[Fire]:
    """`claim` inside the caller's transaction, so that what a fire writes (its run and
    prompts) commits together with its claim, or not at all."""
    if not fires:
        return []
    table = FireClaim.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["job", "ref", "fire_at"])
        .returning(table.c.job, table.c.ref, table.c.fire_at)
    )
    rows = [
        {
            "client_id": f.client_id,
            "job": f.job,
            "ref": f.ref,
            "fire_at": f.fire_at,
            "claimed_at": now,
            "worker": worker,
            "outcome": f.outcome.value,
            "reason": f.reason,
        }
        for f in fires
    ]
    # One compiled statement, executed as batched multi-row inserts ("insertmanyvalues").
    result = await conn.execute(statement, rows)
    won = {(job, ref, fire_at) for job, ref, fire_at in result.all()}
    return [f for f in fires if f.key in won]


RETRY_AFTER = timedelta(minutes=1)
TRYING = "; trying again"


def failure(error: BaseException) -> str:
    """An exception as a fire's record shows it."""
    return shorten(f"{type(error).__name__}: {error}", 300)


async def note(db: Database, fire: Fire, reason: str, outcome: Outcome | None = None) -> None:
    """Add what happened (who was prompted, who was away) to a claimed fire."""
    values: dict[str, Any] = {"reason": reason}
    if outcome is not None:
        values["outcome"] = outcome.value
    async with db.session() as session:
        await session.exec(
            update(FireClaim)
            .where(
                col(FireClaim.job) == fire.job,
                col(FireClaim.ref) == fire.ref,
                col(FireClaim.fire_at) == fire.fire_at,
            )
            .values(**values)
        )
        await session.commit()


async def failed(db: Database, fire: Fire, reason: str) -> None:
    """A claimed fire that did not go out: `retake` hands it to a later sweep."""
    await note(db, fire, reason + TRYING, Outcome.FAILED)


async def retake(db: Database, *, now: datetime, since: datetime, worker: str) -> list[FireClaim]:
    """Failed fires due since `since` and not tried for `RETRY_AFTER`, taken back for this
    worker; a compare-and-set on the claim's time, so one worker wins each."""
    async with db.session() as session:
        rows = list(
            await session.exec(
                select(FireClaim)
                .where(
                    FireClaim.outcome == Outcome.FAILED,
                    col(FireClaim.fire_at) >= since,
                    col(FireClaim.claimed_at) <= now - RETRY_AFTER,
                )
                .order_by(col(FireClaim.id))
            )
        )
        won = []
        for row in rows:
            result = await session.exec(
                update(FireClaim)
                .where(
                    col(FireClaim.id) == row.id,
                    col(FireClaim.outcome) == Outcome.FAILED,
                    col(FireClaim.claimed_at) == row.claimed_at,
                )
                .values(outcome=Outcome.SENT.value, claimed_at=now, worker=worker)
            )
            if result.rowcount == 1:
                won.append(row)
        await session.commit()
    return won


async def give_up(db: Database, *, since: datetime, why: str) -> None:
    """Failed fires now older than the grace window: their record says they will not be
    tried again."""
    async with db.session() as session:
        rows = list(
            await session.exec(
                select(FireClaim).where(
                    FireClaim.outcome == Outcome.FAILED,
                    col(FireClaim.fire_at) < since,
                    col(FireClaim.reason).endswith(TRYING),
                )
            )
        )
        for row in rows:
            row.reason = row.reason.removesuffix(TRYING) + f"; gave up: {why}"
            session.add(row)
        await session.commit()


async def last(db: Database, client_id: str, jobs: Sequence[str], ref: str) -> FireClaim | None:
    """The most recent fire of these jobs, for `why`."""
    async with db.session() as session:
        rows = await session.exec(
            select(FireClaim)
            .where(
                FireClaim.client_id == client_id,
                col(FireClaim.job).in_(jobs),
                FireClaim.ref == ref,
            )
            .order_by(col(FireClaim.fire_at).desc(), col(FireClaim.id).desc())
            .limit(1)
        )
        return rows.first()
