"""Two real worker processes on one PostgreSQL, each with its heartbeat: every prompt,
reminder, summary and post is sent exactly once between them."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.core import Bot
from bot.db.models import Member
from bot.db.models_schedule import Schedule, ScheduleKind, ShareItem
from bot.events import Address
from bot.wiring import bootstrap_console
from scheduler.store import touch
from tests.conftest import PG_URL, requires_postgres
from tests.scheduler.helpers import beat

CHANNELS = 20
PEOPLE = 3
FIRE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday


async def _arrange(bot: Bot) -> None:
    await bootstrap_console(bot)
    now = FIRE - timedelta(hours=1)
    async with bot.db.session() as session:
        for c in range(CHANNELS):
            ids = []
            for p in range(PEOPLE):
                member = Member(
                    client_id="demo", platform="console", user_id=f"u{c}-{p}", name=f"u{c}-{p}"
                )
                session.add(member)
                await session.flush()
                ids.append(str(member.id))
            schedule = Schedule(
                client_id="demo",
                kind=ScheduleKind.STANDUP,
                address=Address("console", "console", f"team{c}").key,
                days="mon-fri",
                local_time="09:00",
                timezone="UTC",
                window_minutes=120,
                reminders=2,
                participants=",".join(ids),
                changed_at=now,
            )
            session.add(touch(schedule, now))
        share = Schedule(
            client_id="demo",
            kind=ScheduleKind.SHARE,
            address=Address("console", "console", "general").key,
            days="wed",
            local_time="09:00",
            timezone="UTC",
            changed_at=now,
        )
        session.add(touch(share, now))
        session.add(ShareItem(client_id="demo", text="read this", author="lee", created_at=now))
        await session.commit()


async def _worker(url: str, name: str, times: list[str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler.worker_proc",
        url,
        name,
        *times,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )


async def _moment(
    proc: asyncio.subprocess.Process, errors: asyncio.Task[bytes]
) -> list[dict[str, str]]:
    """What one worker sent at one moment: its lines up to its done line."""
    assert proc.stdout is not None
    rows: list[dict[str, str]] = []
    while True:
        line = await proc.stdout.readline()
        assert line, (await errors).decode()[-2000:]
        row = json.loads(line)
        if "done" in row:
            return rows
        rows.append(row)


@requires_postgres
async def test_two_worker_processes_send_everything_exactly_once(
    bot: Bot, clock: ManualClock
) -> None:
    assert PG_URL is not None
    await _arrange(bot)
    # Both wake at the fire, each reminder and the window's close, as APScheduler would.
    times = [(FIRE + timedelta(minutes=m)).isoformat() for m in (0, 1, 40, 41, 80, 81, 120, 121)]
    procs = [await _worker(PG_URL, name, times) for name in ("a", "b")]
    errors = [asyncio.create_task(p.stderr.read()) for p in procs if p.stderr is not None]
    workers = list(zip(procs, errors, strict=True))
    processes = []
    for proc in procs:  # both are connected and waiting before either starts
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert b"ready" in first, first
        processes.append(json.loads(first)["process"])
    sent: Counter[tuple[str, str]] = Counter()
    for moment in times:  # both run each moment together, each claiming against the other
        clock.set(datetime.fromisoformat(moment))
        await beat(bot, *processes)  # both alive, as their heartbeat loops keep them
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        moments = asyncio.gather(*(_moment(p, e) for p, e in workers))
        for rows in await asyncio.wait_for(moments, 60):
            for row in rows:
                sent[(row["to"].split("|")[2], row["text"].splitlines()[0])] += 1
    for proc, error in workers:
        assert await asyncio.wait_for(proc.wait(), 60) == 0, (await error).decode()[-2000:]
    prompts = [k for k in sent if k[1].startswith("Stand-up · Demo Co")]
    kickoffs = [k for k in sent if k[1].startswith("*Stand-up* for")]
    reminders = [k for k in sent if k[1].startswith("Reminder:")]
    summaries = [k for k in sent if k[1].startswith("Stand-up summary")]
    shares = [k for k in sent if k[1] == "Knowledge share"]
    assert len(prompts) == CHANNELS * PEOPLE and all(sent[k] == 1 for k in prompts)
    assert len(kickoffs) == CHANNELS and all(sent[k] == 1 for k in kickoffs)
    assert len(reminders) == CHANNELS * PEOPLE and all(sent[k] == 2 for k in reminders)
    assert len(summaries) == CHANNELS and all(sent[k] == 1 for k in summaries)
    assert len(shares) == 1 and sent[shares[0]] == 1
    assert sum(sent.values()) == CHANNELS * (1 + PEOPLE + 2 * PEOPLE + 1) + 1
