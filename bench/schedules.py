"""Benchmark: 10,000 channels with stand-ups across 20 time zones.

Reports the time to load every schedule into the scheduler at start, resident memory, and
how late prompts are when 1,000 stand-ups start in the same minute (p50/p99), checking
that no prompt is lost or doubled. Real clock, real APScheduler, real database; only the
chat platform is a recording stand-in.

    .venv/bin/python bench/schedules.py                      # SQLite in a temp dir
    CAIO_BENCH_DATABASE_URL=postgresql://… .venv/bin/python bench/schedules.py
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot.db.engine import sync_url
from bot.db.migrate import upgrade
from bot.db.models import Client, Member
from bot.db.models_schedule import Schedule, ScheduleKind
from bot.events import Address
from bot.message import Message, Posted
from bot.wiring import build_bot, stop
from config.settings import Settings
from scheduler.engine import Engine
from scheduler.store import touch

CHANNELS = 10_000
BUSY = 1_000
ZONES = [
    "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
    "America/Chicago", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Asia/Singapore",
    "Australia/Sydney", "Africa/Lagos", "Europe/Moscow", "Asia/Dubai", "Pacific/Auckland",
    "America/Denver", "Europe/Paris", "Asia/Shanghai", "America/Toronto", "Europe/Madrid",
    "Asia/Kathmandu",
]  # fmt: skip


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Recorder:
    """A platform that accepts everything instantly and notes when each prompt arrived."""

    platform = "bench"
    live_updates = False

    def __init__(self, busy_at: datetime) -> None:
        self.busy_at = busy_at.timestamp()
        self.prompts: Counter[str] = Counter()
        self.lateness: list[float] = []
        self.posts = 0
        self.all_prompted = asyncio.Event()

    async def send(self, message: Message) -> Posted:
        assert message.address is not None
        self.posts += 1
        return Posted(message.address, uuid.uuid4().hex)

    async def update(self, posted: Posted, message: Message) -> None:
        return None

    async def open_thread(self, root: Posted, title: str) -> Address:
        return root.address.in_thread(root.message_id)

    async def react(self, posted: Posted, emoji: str) -> None:
        return None

    async def permalink(self, address: Address) -> str:
        return address.key

    async def send_direct(self, workspace: str, user_id: str, message: Message) -> Posted:
        self.lateness.append(time.time() - self.busy_at)
        self.prompts[user_id] += 1
        if len(self.prompts) >= BUSY:
            self.all_prompted.set()
        return Posted(Address("bench", workspace, f"@{user_id}"), uuid.uuid4().hex)

    async def has_member(self, workspace: str, user_id: str) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def arrange(url: str, busy_at: datetime) -> None:
    """10,000 stand-ups, one participant each; 1,000 of them (50 per zone) at `busy_at`."""
    now = datetime.now(UTC)
    engine = sa.create_engine(sync_url(url))
    with Session(engine) as session:
        session.add(Client(id="bench", name="Bench Co", created_at=now))
        session.flush()
        members = [
            Member(client_id="bench", platform="bench", user_id=f"u{i}", name=f"u{i}")
            for i in range(CHANNELS)
        ]
        session.add_all(members)
        session.flush()
        for i, member in enumerate(members):
            tz = ZONES[i % len(ZONES)]
            local = busy_at.astimezone(ZoneInfo(tz))
            if i >= BUSY:
                local += timedelta(hours=1 + i % 7, minutes=i % 60)
            schedule = Schedule(
                client_id="bench",
                kind=ScheduleKind.STANDUP,
                address=Address("bench", "w", f"c{i}").key,
                days="mon-sun",
                local_time=f"{local:%H:%M}",
                timezone=tz,
                participants=str(member.id),
                reminders=0,
                changed_at=now,
            )
            session.add(touch(schedule, now))
        session.commit()
    engine.dispose()


async def measure(url: str, busy_at: datetime) -> dict[str, float]:
    settings = Settings(_env_file=None, database_url=url, openai_api_key=None)
    bot = build_bot(settings)
    recorder = Recorder(busy_at)
    bot.add_adapter(recorder)
    engine = Engine(bot, sweep_seconds=3600)
    before = rss_mb()
    started = time.perf_counter()
    await engine.start()
    load = time.perf_counter() - started
    gc.freeze()  # as `caio-bot worker` does once started (bot/runtime.py)
    after = rss_mb()
    jobs = len(engine.scheduler.get_jobs()) if engine.scheduler else 0
    wait = (busy_at - datetime.now(UTC)).total_seconds() + 60
    with contextlib.suppress(TimeoutError):  # a lost prompt shows in the figures
        await asyncio.wait_for(recorder.all_prompted.wait(), wait)
    load_avg = os.getloadavg()[0]  # other work on the machine shows in the lateness
    await asyncio.sleep(2)  # anything doubled would arrive now
    await engine.stop()
    await stop(bot)
    late = sorted(recorder.lateness)
    doubled = sum(1 for c in recorder.prompts.values() if c > 1)
    return {
        "jobs": jobs,
        "load_s": load,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "prompts": len(recorder.prompts),
        "doubled": doubled,
        "lost": BUSY - len([u for u in recorder.prompts if int(u[1:]) < BUSY]),
        "stray": len([u for u in recorder.prompts if int(u[1:]) >= BUSY]),
        "p50_s": statistics.median(late) if late else float("nan"),
        "p99_s": late[int(len(late) * 0.99) - 1] if late else float("nan"),
        "max_s": late[-1] if late else float("nan"),
        "channel_posts": recorder.posts,
        "load_avg": load_avg,
    }


def main() -> None:
    url = os.environ.get("CAIO_BENCH_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    else:
        engine = sa.create_engine(sync_url(url))
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    busy_at = (
        minute
        if (minute - datetime.now(UTC)).total_seconds() > 25
        else minute + timedelta(minutes=1)
    )
    t0 = time.perf_counter()
    arrange(url, busy_at)
    print(
        f"arranged {CHANNELS} stand-ups in {time.perf_counter() - t0:.1f}s; "
        f"busy minute {busy_at:%H:%M:%S} UTC"
    )
    figures = asyncio.run(measure(url, busy_at))
    print(
        f"\ndatabase: {url.split(':')[0]} · python {platform.python_version()} · "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'figure':<34}{'value':>12}")
    rows = [
        ("schedules loaded (APScheduler jobs)", f"{figures['jobs']:.0f}"),
        ("load time at start", f"{figures['load_s']:.2f} s"),
        ("resident memory before load", f"{figures['rss_before_mb']:.0f} MB"),
        ("resident memory after load", f"{figures['rss_after_mb']:.0f} MB"),
        ("prompts in the busy minute", f"{figures['prompts']:.0f} / {BUSY}"),
        (
            "lost / doubled / stray",
            f"{figures['lost']:.0f} / {figures['doubled']:.0f} / {figures['stray']:.0f}",
        ),
        ("lateness p50", f"{figures['p50_s'] * 1000:.0f} ms"),
        ("lateness p99", f"{figures['p99_s'] * 1000:.0f} ms"),
        ("lateness max", f"{figures['max_s'] * 1000:.0f} ms"),
        ("machine load average (1 min)", f"{figures['load_avg']:.1f}"),
    ]
    for name, value in rows:
        print(f"{name:<34}{value:>12}")


if __name__ == "__main__":
    main()
