"""How long does the monthly value report take for a busy client, beside others?

Fills one database with several clients, each with a month of questions, advice,
escalations, hours, decisions and radar moves, then times `build_report` (the queries)
and `render_files` (Markdown + the matplotlib PNG) for one client, through the app's code.

    .venv/bin/python bench/practice_report.py                     # SQLite under bench/out/
    .venv/bin/python bench/practice_report.py --database-url postgresql://…
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.models import (
    Advice,
    AdviceSource,
    Client,
    Escalation,
    EscalationStatus,
    Member,
    Question,
    Seniority,
)
from bot.db.models_practice import Decision, HoursEntry
from bot.practice.report import build_report, render_files

MONTH = "2026-11"
START = datetime(2026, 11, 1, tzinfo=UTC)


async def fill(db: Database, clients: int, questions: int) -> None:
    rng = random.Random(7)
    async with db.session() as session:
        for c in range(clients):
            cid = f"c{c}"
            session.add(Client(id=cid, name=f"Client {c}", retainer_hours=20, created_at=START))
            await session.flush()
            members = [
                Member(
                    client_id=cid,
                    platform="slack",
                    user_id=f"U{c}-{m}",
                    name=f"dev{m}",
                    seniority=Seniority.JUNIOR if m % 3 == 0 else Seniority.SENIOR,
                )
                for m in range(20)
            ]
            session.add_all(members)
            await session.flush()
            for n in range(questions):
                when = START + timedelta(minutes=rng.randrange(30 * 24 * 60))
                asker = rng.choice(members)
                q = Question(
                    client_id=cid,
                    asker_id=asker.id or 0,
                    text=f"question {n}",
                    origin_address="slack|T|C|",
                    created_at=when,
                )
                session.add(q)
                await session.flush()
                session.add(
                    Advice(
                        client_id=cid,
                        question=q.text,
                        answer="answer",
                        source=AdviceSource.AI,
                        author="AI",
                        mentee_id=asker.id,
                        sources="playbook:rag-design playbook:rag-evaluation",
                        question_id=q.id,
                        created_at=when,
                    )
                )
                if n % 10 == 0:
                    session.add(
                        Escalation(
                            client_id=cid,
                            asker_id=asker.id or 0,
                            question=q.text,
                            origin_address="slack|T|C|",
                            status=EscalationStatus.ANSWERED,
                            created_at=when,
                            due_at=when + timedelta(hours=8),
                            answered_at=when + timedelta(hours=rng.uniform(0.5, 12)),
                        )
                    )
            for d in range(60):
                session.add(
                    HoursEntry(
                        client_id=cid,
                        minutes=20,
                        note="work",
                        logged_by="dana",
                        worked_at=START + timedelta(hours=12 * d),
                    )
                )
            for d in range(5):
                session.add(
                    Decision(
                        client_id=cid,
                        number=d + 1,
                        title=f"decision {d}",
                        decided_by="dana",
                        decided_at=START + timedelta(days=d),
                    )
                )
            await session.commit()


async def measure(url: str, clients: int, questions: int, runs: int) -> None:
    db = Database(url)
    try:
        async with db.session() as session:
            empty = await session.get(Client, "c0") is None
        if empty:
            await fill(db, clients, questions)
        build, render = [], []
        for _ in range(runs):
            started = time.perf_counter()
            async with db.session() as session:
                client = await session.get(Client, "c0")
                assert client is not None
                report = await build_report(session, client, MONTH, START + timedelta(days=29))
            built = time.perf_counter()
            render_files(report)
            build.append(built - started)
            render.append(time.perf_counter() - built)
    finally:
        await db.close()
    print("| database | clients | questions/client | build (median ms) | render (median ms) |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| {url.split(':')[0]} | {clients} | {questions} | "
        f"{statistics.median(build) * 1000:.0f} | {statistics.median(render) * 1000:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        out = Path(__file__).parent / "out"
        out.mkdir(exist_ok=True)
        url = f"sqlite:///{out}/practice_report_{args.clients}x{args.questions}.db"
    upgrade(url)
    asyncio.run(measure(url, args.clients, args.questions, args.runs))


if __name__ == "__main__":
    main()
