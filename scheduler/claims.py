"""Exactly-once fires: every scheduled send is claimed by inserting a unique
(job, ref, fire_at) row before anything is sent.

`INSERT … ON CONFLICT DO NOTHING RETURNING` on both SQLite and PostgreSQL: a worker that
gets no row back lost the race (or a restart already did it) and sends nothing. Claims are
batched (a busy minute's stand-ups are claimed a hundred per statement) and can share the
transaction that writes what the fire sends (`claim_on`).

A claimed fire whose send failed (the platform down past its client's retries, the
database restarting) is marked `failed`; a later sweep takes it back (`retake`, one
worker wins) and sends again, until the fire is older than the grace window (`give_up`).
A retaken fire is `retrying` for at most `RETAKE_LEASE`: if its worker dies before writing
the outcome, the lease lapses and the fire is taken again (or given up) like a failed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select, update

from bot.db.engine import Database
from bot.db.models_schedule import FireClaim, Outcome
from bot.text import shorten

log = structlog.get_logger(__name__)


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
RETAKE_LEASE = timedelta(minutes=10)
"""How long a retaken fire stays its worker's; its send is cut off at `RETRY_BOUND`, so a
live worker has written the outcome before another may take the fire."""
RETRY_BOUND = RETAKE_LEASE / 2
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


def _lapsed(now: datetime) -> Any:
    """Retaken by a worker that has not written the outcome within the lease: it stopped."""
    return sa.and_(
        col(FireClaim.outcome) == Outcome.RETRYING,
        col(FireClaim.claimed_at) <= now - RETAKE_LEASE,
    )


async def retake(db: Database, *, now: datetime, since: datetime, worker: str) -> list[FireClaim]:
    """Failed fires due since `since` and not tried for `RETRY_AFTER`, and retakes whose
    lease lapsed, taken back for this worker; a compare-and-set on the claim's outcome and
    time, so one worker wins each."""
    async with db.session() as session:
        rows = list(
            await session.exec(
                select(FireClaim)
                .where(
                    col(FireClaim.fire_at) >= since,
                    sa.or_(
                        sa.and_(
                            col(FireClaim.outcome) == Outcome.FAILED,
                            col(FireClaim.claimed_at) <= now - RETRY_AFTER,
                        ),
                        _lapsed(now),
                    ),
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
                    col(FireClaim.outcome) == row.outcome,
                    col(FireClaim.claimed_at) == row.claimed_at,
                )
                .values(outcome=Outcome.RETRYING.value, claimed_at=now, worker=worker)
            )
            if result.rowcount == 1:
                if row.outcome == Outcome.RETRYING:
                    log.warning("retry lapsed", job=row.job, ref=row.ref, worker=row.worker)
                won.append(row)
        await session.commit()
    return won


async def give_up(db: Database, *, now: datetime, since: datetime, after: str) -> None:
    """Failed fires, and lapsed retakes, now older than the grace window: their record says
    they will not be tried again, and why."""
    async with db.session() as session:
        rows = list(
            await session.exec(
                select(FireClaim).where(
                    col(FireClaim.fire_at) < since,
                    sa.or_(
                        sa.and_(
                            col(FireClaim.outcome) == Outcome.FAILED,
                            col(FireClaim.reason).endswith(TRYING),
                        ),
                        _lapsed(now),
                    ),
                )
            )
        )
        for row in rows:
            why = (
                f"still failing {after}"
                if row.outcome == Outcome.FAILED
                else f"its retry by {row.worker} stopped before it finished; not sent {after}"
            )
            row.reason = row.reason.removesuffix(TRYING) + f"; gave up: {why}"
            row.outcome = Outcome.FAILED
            session.add(row)
        await session.commit()


def shown(row: FireClaim, now: datetime) -> str:
    """A fire's record as `why` shows it: a retake whose worker stopped is not "trying
    again" (the next sweep of any running worker takes it again or gives up)."""
    if row.outcome == Outcome.RETRYING and row.claimed_at <= now - RETAKE_LEASE:
        return (
            row.reason.removesuffix(TRYING)
            + f"; its retry by {row.worker} stopped before it finished"
            + "; the next sweep tries again or gives up"
        )
    return row.reason or f"{row.outcome} {row.fire_at:%Y-%m-%d}"


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
