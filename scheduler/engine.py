"""The scheduler: APScheduler decides when to look, the database decides what is due.

Each distinct cadence in the database (local time, zone, days) is an APScheduler job with
its CronTrigger, loaded at start and refreshed by a sweep that also picks up changes other
processes made. A job firing only wakes `run_due(now)`, which reads what is due from the
database, claims each fire (see `claims.py`) and sends what this worker won. Tests call
`run_due` with explicit times; nothing here sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import col, select

from bot import retention
from bot.calendar import local_date, zone
from bot.core import Bot
from bot.db.models import Client, Escalation, EscalationStatus
from bot.db.models_schedule import Blocker, FireClaim, Outcome, Run, Schedule, ScheduleKind
from bot.events import Address
from scheduler import checkins, nudges, redeliver, requeue, sharing
from scheduler.claims import (
    Fire,
    claim,
    claim_on,
    deadline,
    failed,
    failure,
    give_up,
    in_time,
    note,
    retake,
    sent,
)
from scheduler.store import CADENCE_FIELDS, cadence_from, cadence_of, skipped_day

log = structlog.get_logger(__name__)

GRACE = timedelta(minutes=30)
FIRE = "fire"
FIRE_NOW = "fire.now"
_MAX_CATCH_UP = 20
_CHUNK = 100  # fires per transaction: the first prompts wait for one chunk, not all


@dataclass
class Tally:
    """What one `run_due` did, by job: for logs, tests and the benchmark."""

    sent: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, fire: Fire) -> None:
        into = self.sent if fire.outcome == Outcome.SENT else self.skipped
        into[fire.job] = into.get(fire.job, 0) + 1


def skip_reason(
    schedule: Schedule, client: Client, fire_at: datetime, now: datetime, grace: timedelta
) -> str | None:
    """Why a fire must not send: missed beyond grace, paused, skipped, or a holiday."""
    day = local_date(fire_at, schedule.timezone)
    if now - fire_at > grace:
        due = fire_at.astimezone(zone(schedule.timezone))
        back = now.astimezone(zone(schedule.timezone))
        return (
            f"skipped {day}: missed while the bot was not running (due {due:%H:%M}, "
            f"back at {back:%a %H:%M} {schedule.timezone}, past the "
            f"{grace.total_seconds() / 60:.0f}-minute grace window)"
        )
    skipped = skipped_day(schedule, client, day)
    return f"skipped {day}: {skipped}" if skipped else None


async def fire_schedules(
    bot: Bot,
    due: list[tuple[Schedule, Client, datetime]],
    now: datetime,
    grace: timedelta,
    worker: str,
    tally: Tally,
    by: float,
    job: str = FIRE,
) -> None:
    """Decide, claim and send schedule fires (stand-ups, check-ins, shares): all are planned
    at once, then claimed and written a chunk per transaction, each chunk sent while the
    next is claimed, so a busy minute's first prompts do not wait for the whole batch, and
    cut off at `by`. An explicit `now` (job FIRE_NOW) ignores pauses, skips and holidays."""
    decided = await _decide(bot, due, now, grace, job)
    gate = asyncio.Semaphore(checkins.SENDS_AT_ONCE)
    sending: list[asyncio.Task[list[checkins.Started]]] = []
    try:
        for start in range(0, len(decided), _CHUNK):
            won = await _claim_chunk(bot, decided[start : start + _CHUNK], now, worker)
            sending.append(asyncio.create_task(_send_chunk(bot, won, now, gate, tally, by)))
    finally:  # what was claimed is sent, and recorded, even if a later chunk fails
        results = await asyncio.gather(*sending, return_exceptions=True)
        done = [s for r in results if not isinstance(r, BaseException) for s in r]
        if done:
            await checkins.record_sent(bot, done, now)
        # After their progress is stored, so a retry sends only the rest.
        fires = [
            (s, Fire(s.plan.client.id, job, str(s.plan.schedule.id), s.plan.fire_at)) for s in done
        ]
        await sent(bot.db, [fire for s, fire in fires if not s.error])
        for s, fire in fires:
            if s.error:
                await failed(bot.db, fire, s.failure())
    for result in results:
        if isinstance(result, BaseException):
            raise result


_Decided = tuple[Fire, Schedule, Client, checkins.Plan | None]
_Won = tuple[Fire, Schedule, Client, checkins.Started | None]


async def _decide(
    bot: Bot,
    due: list[tuple[Schedule, Client, datetime]],
    now: datetime,
    grace: timedelta,
    job: str,
) -> list[_Decided]:
    """Each fire's outcome: skipped (and why), a share post, or a check-in's plan (whom to
    prompt); three queries for the whole batch."""
    decided: list[_Decided] = []
    to_plan = []
    for schedule, client, fire_at in due:
        reason = skip_reason(schedule, client, fire_at, now, grace) if job == FIRE else None
        if reason is None and schedule.kind != ScheduleKind.SHARE:
            to_plan.append((schedule, client, fire_at))
            continue
        outcome = Outcome.SKIPPED if reason else Outcome.SENT
        fire = Fire(client.id, job, str(schedule.id), fire_at, outcome, reason or "")
        decided.append((fire, schedule, client, None))
    if not to_plan:
        return decided
    async with bot.db.session() as session:
        plans = await checkins.plan(session, to_plan)
    for made in plans:
        ref = str(made.schedule.id)
        if not made.prompt and not made.early:
            away = f" (out of office: {', '.join(made.away)})" if made.away else ""
            reason = f"skipped {made.day}: nobody to ask{away}"
            fire = Fire(made.client.id, job, ref, made.fire_at, Outcome.SKIPPED, reason)
        else:
            fire = Fire(made.client.id, job, ref, made.fire_at, Outcome.SENT, made.reason())
        decided.append((fire, made.schedule, made.client, made))
    return decided


async def _claim_chunk(bot: Bot, decided: list[_Decided], now: datetime, worker: str) -> list[_Won]:
    """Claim fires and write the runs and prompts of those this worker won, in one
    transaction: a fire's rows exist exactly when its claim does."""
    async with bot.db.session() as session:
        conn = await session.connection()
        fires = [d[0] for d in decided]
        claimed = await claim_on(conn, fires, now=now, worker=worker, leased=True)
        won_keys = {f.key for f in claimed}
        won = [d for d in decided if d[0].key in won_keys]
        to_start = [p for f, _, _, p in won if p is not None and f.outcome == Outcome.SENT]
        started = {id(s.plan): s for s in await checkins.write_runs(conn, to_start)}
        await session.commit()
    return [(f, s, c, started.get(id(p)) if p else None) for f, s, c, p in won]


async def _send_chunk(
    bot: Bot, won: list[_Won], now: datetime, gate: asyncio.Semaphore, tally: Tally, by: float
) -> list[checkins.Started]:
    runs: list[checkins.Started] = []
    for fire, schedule, client, started in won:
        tally.add(fire)
        if fire.outcome != Outcome.SENT:
            log.info("fire skipped", schedule=schedule.id, reason=fire.reason)
        elif started is not None:
            runs.append(started)
        elif schedule.kind == ScheduleKind.SHARE:
            await send_and_note(bot, fire, _share(bot, schedule, client, fire, now), by)
    if runs:
        await checkins.send_runs(bot, runs, gate, by)
    return runs


async def _share(bot: Bot, schedule: Schedule, client: Client, fire: Fire, now: datetime) -> str:
    done = await sharing.post(bot, client, Address.parse(schedule.address), now)
    return f"sent {local_date(fire.fire_at, schedule.timezone)}: {done}"


async def send_and_note(bot: Bot, fire: Fire, send: Awaitable[str], by: float) -> None:
    """Send a claimed fire, cut off at `by`, and record what happened; a failure is recorded
    as such (and retried by a later sweep), and does not stop the rest of the pass."""
    try:
        async with in_time(by):
            reason = await send
    except checkins.NotSent as error:
        await failed(bot.db, fire, str(error))
    except Exception as error:
        log.warning("scheduled send failed", job=fire.job, ref=fire.ref, exc_info=True)
        await failed(bot.db, fire, f"not sent: {failure(error)}")
    else:
        await note(bot.db, fire, reason, Outcome.SENT)


async def fire_now(bot: Bot, schedule: Schedule, client: Client) -> bool:
    """`standup now` / `share now`: an extra fire at this moment, claimed like any other."""
    tally = Tally()
    now = bot.clock.now()
    due = [(schedule, client, now)]
    worker = bot.liveness.process
    await fire_schedules(bot, due, now, GRACE, worker, tally, deadline(), FIRE_NOW)
    return bool(tally.sent)


class Engine:
    """The scheduler component of `serve`, `worker` and `console`. Its claims name it by its
    process's heartbeat (`bot.liveness`), so what it holds is free once that process is
    gone; tests name several workers on one bot by `worker`."""

    def __init__(
        self,
        bot: Bot,
        *,
        grace: timedelta = GRACE,
        sweep_seconds: float = 15.0,
        worker: str | None = None,
    ) -> None:
        self.bot = bot
        self.grace = grace
        self.sweep_seconds = sweep_seconds
        self.worker = worker or bot.liveness.process
        self.scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._again = False
        self._stopped = False

    # -- deciding what is due (the part tests drive) ------------------------------------------
    async def run_due(self, now: datetime | None = None) -> Tally:
        """Everything due at `now`: schedule fires, reminders, summaries, blocker
        escalations, SLA nudges, undelivered answers and unqueued escalations, each
        claimed before it is sent. All are claimed as of `now`, so all their sends are cut
        off `SEND_BOUND` after the pass starts, well within their claims' lease."""
        now = now or self.bot.clock.now()
        tally = Tally()
        async with self._lock:
            by = deadline()
            await self._schedules(now, tally, by)
            await self._runs(now, tally, by)
            await self._claim_and(now, tally, by)
            await self._retry(now, tally, by)
            await self._redeliver(now, tally)
            await self._requeue(now, tally)
        return tally

    async def _schedules(self, now: datetime, tally: Tally, by: float) -> None:
        async with self.bot.db.session() as session:
            rows = list(
                await session.exec(
                    select(Schedule, Client)
                    .join(Client, col(Client.id) == col(Schedule.client_id))
                    .where(col(Schedule.next_fire_at) <= now)
                    # One order for every worker: chunks claim alike, never lock each other
                    # in opposite orders.
                    .order_by(col(Schedule.id))
                )
            )
        if not rows:
            return
        # The fire that is due now first: nothing else stands between it and its prompts.
        due = [(s, c, s.next_fire_at) for s, c in rows if s.next_fire_at is not None]
        await fire_schedules(self.bot, due, now, self.grace, self.worker, tally, by)
        missed: list[tuple[Schedule, Client, datetime]] = []
        moves: list[tuple[Schedule, datetime | None]] = []
        for schedule, client, first in due:
            cadence = cadence_of(schedule)
            moment = cadence.next_after(first)
            times: list[datetime] = []
            while moment is not None and moment <= now:  # more than one: the bot was down
                times.append(moment)
                if len(times) > _MAX_CATCH_UP:
                    del times[0]  # down for weeks: the most recent fires are the ones to record
                moment = cadence.next_after(moment)
            missed.extend((schedule, client, t) for t in times)
            moves.append((schedule, moment))
        if missed:
            await fire_schedules(self.bot, missed, now, self.grace, self.worker, tally, by)
        table = Schedule.__table__  # type: ignore[attr-defined]
        async with self.bot.db.session() as session:
            conn = await session.connection()
            # Compare-and-set: a concurrent `setup` or another worker may have moved it.
            await conn.execute(
                sa.update(table)
                .where(
                    table.c.id == sa.bindparam("sid"), table.c.next_fire_at == sa.bindparam("was")
                )
                .values(next_fire_at=sa.bindparam("new")),
                [{"sid": s.id, "was": s.next_fire_at, "new": m} for s, m in moves],
            )
            await session.commit()

    async def _runs(self, now: datetime, tally: Tally, by: float) -> None:
        async with self.bot.db.session() as session:
            rows = list(
                await session.exec(
                    select(Run, Schedule, Client)
                    .join(Schedule, col(Schedule.id) == col(Run.schedule_id))
                    .join(Client, col(Client.id) == col(Run.client_id))
                    .where(col(Run.summarised_at).is_(None), col(Run.next_action_at) <= now)
                )
            )
        for run, schedule, client in rows:
            await self._run(run, schedule, client, now, tally, by)

    async def _run(
        self, run: Run, schedule: Schedule, client: Client, now: datetime, tally: Tally, by: float
    ) -> None:
        slots = checkins.reminder_times(run, schedule)
        while True:
            if run.reminders_done < len(slots) and slots[run.reminders_done] <= now:
                run.reminders_done += 1
                slot = slots[run.reminders_done - 1]
                fire = self._fire(client, "remind", f"{run.id}#{run.reminders_done}", slot, now)
                if await self._won(fire, now, tally, leased=True):
                    remind = checkins.remind(
                        self.bot, run, schedule, client, now, run.reminders_done
                    )
                    await send_and_note(self.bot, fire, remind, by)
            elif run.closes_at <= now:
                fire = self._fire(client, "summary", str(run.id), run.closes_at, now)
                if await self._won(fire, now, tally, leased=True):
                    summary = checkins.summarise(self.bot, run, schedule, client, now)
                    await send_and_note(self.bot, fire, summary, by)
                run.summarised_at = now
                break
            else:
                break
        checkins.advance(run, schedule)
        async with self.bot.db.session() as session:
            session.add(run)
            await session.commit()

    def _fire(self, client: Client, job: str, ref: str, at: datetime, now: datetime) -> Fire:
        if now - at > self.grace:
            reason = f"missed while the bot was not running (due {at:%Y-%m-%d %H:%M} UTC)"
            return Fire(client.id, job, ref, at, Outcome.SKIPPED, reason)
        return Fire(client.id, job, ref, at)

    async def _won(self, fire: Fire, now: datetime, tally: Tally, *, leased: bool) -> bool:
        """Claim one fire; True when this worker won it and it is to be sent. `leased` for
        what `send_and_note` sends: what runs in the background has its own retries."""
        if not await claim(self.bot.db, [fire], now=now, worker=self.worker, leased=leased):
            return False
        tally.add(fire)
        return fire.outcome == Outcome.SENT

    async def _claim_and(self, now: datetime, tally: Tally, by: float) -> None:
        """Blockers to escalate and escalations to nudge or flag."""
        for fire, blocker in await nudges.stale_blockers(self.bot, now):
            if await self._won(fire, now, tally, leased=True):
                escalate = nudges.escalate_blocker(self.bot, blocker, now)
                await send_and_note(self.bot, fire, escalate, by)
        for fire, escalation, client in await nudges.sla_fires(self.bot, now):
            if await self._won(fire, now, tally, leased=True):
                nudge = nudges.sla_send(self.bot, fire, escalation, client)
                await send_and_note(self.bot, fire, nudge, by)

    async def _retry(self, now: datetime, tally: Tally, by: float) -> None:
        """Fires whose send failed, or whose worker stopped before confirming them, sent
        again once a minute until they are older than the grace window; then their record
        says they gave up. After an outage hundreds may be due at once: they are sent
        concurrently (as many as a busy minute's runs), their wait for a turn included in
        the pass's cut-off, so each ends, and is recorded, within its retake's lease."""
        since = now - self.grace
        after = f"{self.grace.total_seconds() / 60:.0f} minutes after it was due"
        await give_up(self.bot.db, now=now, since=since, after=after)
        rows = await retake(self.bot.db, now=now, since=since, worker=self.worker)
        gate = asyncio.Semaphore(checkins.SENDS_AT_ONCE)

        async def in_turn(row: FireClaim) -> str:
            async with gate:
                return await self._send_again(row, now)

        async def again(row: FireClaim) -> None:
            fire = Fire(row.client_id, row.job, row.ref, row.fire_at)
            tally.add(fire)
            await send_and_note(self.bot, fire, in_turn(row), by)

        await asyncio.gather(*(again(row) for row in rows))

    async def _send_again(self, row: FireClaim, now: datetime) -> str:
        """Send a retaken fire again: what it sends, read back from the database."""
        fire = Fire(row.client_id, row.job, row.ref, row.fire_at)
        gone = "not sent: what it was for was removed"
        async with self.bot.db.session() as session:
            client = await session.get(Client, row.client_id)
            escalation = blocker = run = schedule = None
            if row.job in (nudges.NUDGE, nudges.OVERDUE):
                escalation = await session.get(Escalation, int(row.ref))
            elif row.job == nudges.BLOCKER:
                blocker = await session.get(Blocker, int(row.ref))
            elif row.job in (FIRE, FIRE_NOW):
                schedule = await session.get(Schedule, int(row.ref))
            else:  # remind ("<run>#<n>") and summary ("<run>")
                run = await session.get(Run, int(row.ref.split("#")[0]))
                schedule = await session.get(Schedule, run.schedule_id) if run else None
        if client is None:
            return gone
        if escalation is not None:
            if escalation.status != EscalationStatus.OPEN:
                return "not sent: the escalation was answered meanwhile"
            return await nudges.sla_send(self.bot, fire, escalation, client)
        if blocker is not None:
            return await nudges.escalate_blocker(self.bot, blocker, now)
        if schedule is None:
            return gone
        if run is not None:
            if row.job == "remind":
                number = int(row.ref.split("#")[1])
                return await checkins.remind(self.bot, run, schedule, client, now, number)
            return await checkins.summarise(self.bot, run, schedule, client, now)
        if row.job not in (FIRE, FIRE_NOW):
            return gone
        if schedule.kind == ScheduleKind.SHARE:
            return await _share(self.bot, schedule, client, fire, now)
        return await checkins.send_again(self.bot, schedule, client, row.fire_at, now)

    async def _redeliver(self, now: datetime, tally: Tally) -> None:
        """Answers a platform outage left undelivered: claimed here, carried out in the
        background (a delivery may wait on the platform's retries, a draft on the model)."""
        for fire, question in await redeliver.fires(self.bot, now):
            if await self._won(fire, now, tally, leased=False):
                self.bot.spawn(
                    redeliver.run(self.bot, fire, question), name=f"redeliver-{question.id}"
                )

    async def _requeue(self, now: datetime, tally: Tally) -> None:
        """Escalations their queue has not taken yet, posted again in the background."""
        for fire, escalation, client in await requeue.fires(self.bot, now):
            if await self._won(fire, now, tally, leased=False):
                self.bot.spawn(self._requeued(fire, escalation, client), name="requeue")

    async def _requeued(self, fire: Fire, escalation: Escalation, client: Client) -> None:
        await note(self.bot.db, fire, await requeue.run(self.bot, escalation, client))

    # -- APScheduler: when to look ------------------------------------------------------------
    async def start(self) -> None:
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        count = await self.load()
        self.scheduler.add_job(
            self.sweep, IntervalTrigger(seconds=self.sweep_seconds), id="sweep", name="sweep"
        )
        self.scheduler.start()
        log.info("scheduler started", cadences=count, worker=self.worker)
        self.bot.spawn(self.wake(), name="scheduler catch-up")

    async def stop(self) -> None:
        """No pass after this returns: the process then gives its claims back (deletes its
        heartbeat), which frees at once whatever it still holds, so nothing may be sending."""
        self._stopped = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        async with self._lock:  # let a run in progress finish its sends
            pass

    async def load(self) -> int:
        """One APScheduler job per distinct cadence in the database (schedules alike share a
        wake-up); jobs whose cadence no schedule uses any more are removed."""
        assert self.scheduler is not None
        async with self.bot.db.session() as session:
            columns = [getattr(Schedule, name) for name in CADENCE_FIELDS]
            rows = list(await session.exec(sa.select(*columns).distinct()))  # type: ignore[call-overload]
        wanted = {"|".join(map(str, row)): cadence_from(*row) for row in rows}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("cadence:") and job.id[8:] not in wanted:
                job.remove()
        for key, cadence in wanted.items():
            if self.scheduler.get_job(f"cadence:{key}") is None:
                self.scheduler.add_job(
                    self.wake, trigger=cadence.trigger(), id=f"cadence:{key}", name=key
                )
        return len(wanted)

    async def sweep(self) -> None:
        """Pick up schedules changed elsewhere (web processes take commands too), run
        whatever is due (reminders, summaries, nudges, fires a wake-up may have missed),
        then prune rows kept only for a while (`bot.retention`)."""
        try:
            await self.load()
        except Exception:
            log.exception("schedule sync failed")
        await self.wake()
        try:
            await retention.prune(self.bot.db, self.bot.clock.now())
        except Exception:
            log.exception("pruning expired rows failed; the next sweep retries")

    async def wake(self) -> None:
        """What every APScheduler job runs: one `run_due` at a time, repeated if more
        wake-ups arrived meanwhile (a thousand stand-ups at 09:00 make one batch)."""
        if self._lock.locked():
            self._again = True
            return
        self._again = True
        while self._again and not self._stopped:
            self._again = False
            try:
                tally = await self.run_due()
            except Exception:
                log.exception("scheduled run failed; the next wake-up retries")
                return
            if tally.sent or tally.skipped:
                log.info("scheduled work done", sent=tally.sent, skipped=tally.skipped)
