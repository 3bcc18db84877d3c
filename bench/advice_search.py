"""How fast is advice search when the log is big? FTS against a plain LIKE scan, same run.

Fills an advice log with synthetic entries (questions and answers drawn from the
playbook's own vocabulary, word frequencies kept, spread over many clients with a few big
ones; with `--topical`, each entry draws four words in five from one playbook entry, as
real advice is about one thing), then times the two searches the bot runs, through the
app's own code (`bot.db.fulltext.search_advice` on the async engine):

- `search` — `/caio advice search <terms>`: every term must match, newest first;
- `retrieve` — the advisor's retrieval: any term may match, best bm25 first, on the
  question's words alone and, as the advisor sends it, with the field's synonyms added;

and the same questions answered by a LIKE scan of the client's rows.

    .venv/bin/python bench/advice_search.py                      # 100k and 1M on SQLite
    .venv/bin/python bench/advice_search.py --rows 1000000 --topical
    .venv/bin/python bench/advice_search.py --rows 100000 --database-url postgresql://…
    .venv/bin/python bench/advice_search.py --rows 100000 --database-url … --keep  # re-time

Databases are built once under bench/out/ and reused (`--rebuild` to start over).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.advisor.retrieval import fts_terms
from bot.advisor.synonyms import default_synonyms
from bot.db import fulltext
from bot.db.engine import Database, sync_url
from bot.db.migrate import upgrade
from bot.text import terms

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SEED = 20261124
START = datetime(2024, 1, 1, tzinfo=UTC)


Vocabulary = tuple[list[str], list[int]]


def _words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{1,20}", text))


def vocabulary() -> Vocabulary:
    """Words of the shipped playbook with their frequencies: real advice, real skew."""
    counts: Counter[str] = Counter()
    for path in sorted((ROOT / "config" / "playbook").glob("*.md")):
        counts.update(_words(path.read_text()))
    words = list(counts)
    return words, [counts[w] for w in words]


def topics() -> list[Vocabulary]:
    """Each playbook entry's own words and frequencies: one topic each."""
    found: list[Vocabulary] = []
    for path in sorted((ROOT / "config" / "playbook").glob("*.md")):
        counts = _words(path.read_text())
        words = list(counts)
        found.append((words, [counts[w] for w in words]))
    return found


def text(rng: random.Random, k: int, topic: Vocabulary | None, background: Vocabulary) -> str:
    """`k` words: from the whole playbook, or (topical) four in five from one entry's words."""
    if topic is None:
        return " ".join(rng.choices(*background, k=k))
    own = rng.choices(*topic, k=k)
    other = rng.choices(*background, k=k)
    return " ".join(o if rng.random() < 0.8 else b for o, b in zip(own, other, strict=True))


def client_sizes(rows: int, clients: int) -> list[int]:
    """Zipf-like: a few clients hold much of the log, most hold a little."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(clients)]
    total = sum(weights)
    sizes = [max(1, int(rows * w / total)) for w in weights]
    sizes[0] += rows - sum(sizes)
    return sizes


def fill(url: str, rows: int, clients: int, topical: bool = False) -> None:
    """Insert `rows` advice entries across `clients` clients, then index them;
    `topical`: each entry about one playbook topic, as real advice is."""
    rng = random.Random(SEED)
    background = vocabulary()
    subjects = topics()
    engine = sa.create_engine(sync_url(url))
    sizes = client_sizes(rows, clients)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO client (id, name, timezone, office_hours, quiet_hours, "
                "retainer_hours, response_target_hours, profile, created_at) "
                "VALUES (:id, :id, 'UTC', 'mon-fri 09:00-17:00', '20:00-08:00', 0, 24, '', :t)"
            ),
            [{"id": f"c{n:04d}", "t": START} for n in range(clients)],
        )
    sql = sa.text(
        "INSERT INTO advice (client_id, question, answer, source, author, tags, sources, "
        "feedback, created_at) VALUES (:c, :q, :a, :s, :au, '', '', :f, :t)"
    )
    done = 0
    started = time.perf_counter()
    batch: list[dict[str, object]] = []
    for n, size in enumerate(sizes):
        for _ in range(size):
            topic = rng.choice(subjects) if topical else None
            q = text(rng, rng.randint(8, 16), topic, background) + "?"
            a = text(rng, rng.randint(30, 70), topic, background) + "."
            source = rng.choices(("ai", "caio", "import"), (70, 25, 5))[0]
            # Some AI drafts get rated; only the helpful ones may ground later answers.
            rated = rng.choices((None, "helpful", "not_helpful"), (72, 20, 8))[0]
            feedback = rated if source == "ai" else None
            when = START + timedelta(minutes=rng.randint(0, 60 * 24 * 700))
            batch.append(
                {
                    "c": f"c{n:04d}",
                    "q": q,
                    "a": a,
                    "s": source,
                    "au": source,
                    "f": feedback,
                    "t": when,
                }
            )
            if len(batch) == 20_000:
                with engine.begin() as conn:
                    conn.execute(sql, batch)
                done += len(batch)
                batch.clear()
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>9,} rows  ({rate:,.0f}/s)", end="\r", flush=True)
    if batch:
        with engine.begin() as conn:
            conn.execute(sql, batch)
    if engine.dialect.name == "sqlite":
        # As revision 0010 does for a live database: each client's index, built in one go,
        # rather than by the first timed search.
        with engine.begin() as conn:
            for n in range(clients):
                fulltext.create_advice_table(conn, f"c{n:04d}")
            conn.execute(sa.text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE advice"))
    engine.dispose()
    print(f"  {rows:>9,} rows in {time.perf_counter() - started:,.0f} s" + " " * 20)


def queries(count: int) -> list[str]:
    """Real questions (the retrieval golden set), as users type them."""
    lines = (ROOT / "config" / "eval" / "golden.jsonl").read_text().splitlines()
    asked = [json.loads(line)["question"] for line in lines if line.strip()]
    rng = random.Random(SEED)
    return [rng.choice([q for q in asked if terms(q)]) for _ in range(count)]


def like_sql(words: list[str], joiner: str, dialect: str) -> tuple[str, dict[str, object]]:
    op = "ILIKE" if dialect == "postgresql" else "LIKE"
    parts = [f"(a.question {op} :w{i} OR a.answer {op} :w{i})" for i in range(len(words))]
    # The retrieval side (OR) looks only at what may be cited, as the FTS query does.
    citable = (
        " AND (a.source IN ('caio', 'import') OR a.feedback = 'helpful')" if "OR" in joiner else ""
    )
    sql = (
        f"SELECT a.id FROM advice a WHERE a.client_id = :client AND ({joiner.join(parts)})"
        f"{citable} ORDER BY a.created_at DESC LIMIT 20"
    )
    return sql, {f"w{i}": f"%{w}%" for i, w in enumerate(words)}


Timed = Callable[[str, str], Awaitable[int]]


async def measure(url: str, clients: int, sizes: list[int], count: int) -> dict[str, list[float]]:
    db = Database(url)
    rng = random.Random(SEED + 1)
    asked = queries(count)
    synonyms = default_synonyms()
    expanded = {q: terms(q) + fts_terms(synonyms.expand(q), db.dialect) for q in asked}
    # Half the queries from the biggest clients (the worst case), half from anyone.
    big = [f"c{n:04d}" for n in range(min(5, clients))]
    who = [rng.choice(big) if i % 2 else f"c{rng.randrange(clients):04d}" for i in range(count)]
    timings: dict[str, list[float]] = {}
    hits: dict[str, list[int]] = {}
    async with db.session() as session:

        async def fts_all(client: str, question: str) -> int:
            rows = await fulltext.search_advice(
                session, client, terms(question)[:3], mode="all", limit=10, newest_first=True
            )
            return len(rows)

        async def fts_any(client: str, question: str) -> int:
            rows = await fulltext.search_advice(
                session, client, terms(question), mode="any", citable_only=True
            )
            return len(rows)

        async def fts_expanded(client: str, question: str) -> int:
            rows = await fulltext.search_advice(
                session, client, expanded[question], mode="any", citable_only=True
            )
            return len(rows)

        async def like(client: str, words: list[str], joiner: str) -> int:
            sql, params = like_sql(words, joiner, db.dialect)
            conn = await session.connection()
            result = await conn.execute(sa.text(sql), {"client": client, **params})
            return len(result.all())

        async def like_all(client: str, question: str) -> int:
            return await like(client, terms(question)[:3], " AND ")

        async def like_any(client: str, question: str) -> int:
            return await like(client, terms(question), " OR ")

        cases: dict[str, Timed] = {
            "search (AND, newest) FTS": fts_all,
            "search (AND, newest) LIKE": like_all,
            "retrieve (OR, bm25) FTS": fts_any,
            "retrieve (OR) LIKE": like_any,
            "retrieve + synonyms FTS": fts_expanded,
        }
        for question, client in zip(asked[:5], who, strict=False):  # warm the cache
            for fn in cases.values():
                await fn(client, question)
        for name, fn in cases.items():
            timings[name], hits[name] = [], []
            for question, client in zip(asked, who, strict=True):
                t0 = time.perf_counter()
                hits[name].append(await fn(client, question))
                timings[name].append((time.perf_counter() - t0) * 1000)
    await db.close()
    for name in list(timings):
        timings[name + " hits"] = [float(h) for h in hits[name]]
    return timings


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def report(rows: int, dialect: str, timings: dict[str, list[float]]) -> None:
    print(f"\n{rows:,} advice rows on {dialect}")
    print(f"  {'query':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'avg hits':>9}")
    for name, values in timings.items():
        if name.endswith(" hits"):
            continue
        avg_hits = statistics.mean(timings[name + " hits"])
        print(
            f"  {name:<28} {pct(values, 50):8.2f} {pct(values, 95):8.2f} "
            f"{max(values):8.2f} {avg_hits:9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", help="PostgreSQL to fill (it is wiped first)")
    parser.add_argument("--rebuild", action="store_true", help="refill the SQLite files")
    parser.add_argument(
        "--topical",
        action="store_true",
        help="each entry drawn mostly from one playbook entry's words (default: the whole "
        "playbook's, so every entry holds every common word: the worst case)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="time the PostgreSQL rows an earlier run left"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for rows in args.rows:
        if args.database_url and args.keep:
            url, fresh = args.database_url, False
        elif args.database_url:
            url = args.database_url
            engine = sa.create_engine(sync_url(url))
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            engine.dispose()
            fresh = True
        else:
            kind = "-topical" if args.topical else ""
            path = OUT / f"advice-{rows}-{args.clients}{kind}.db"
            fresh = args.rebuild or not path.exists()
            if fresh:
                path.unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        upgrade(url)  # also brings a reused file up to today's schema
        if fresh:
            print(f"filling {rows:,} rows over {args.clients} clients …")
            fill(url, rows, args.clients, args.topical)
        sizes = client_sizes(rows, args.clients)
        timings = asyncio.run(measure(url, args.clients, sizes, args.queries))
        report(rows, "PostgreSQL" if args.database_url else "SQLite", timings)
        median = sorted(sizes)[len(sizes) // 2]
        print(f"  (largest client {sizes[0]:,} rows, median client {median:,})")


if __name__ == "__main__":
    main()
