"""What does ranking only a client's newest matches cost in quality? Measured, not guessed.

A ranked search scores at most `RANKED_CANDIDATES` of a client's matches, the newest
(bot/db/fulltext.py): scoring all of the largest client's matches missed the 20 ms budget
at 1M rows (docs/benchmarks-core.md). This bench measures what the cap costs in recall:

- the 27 playbook entries are planted, as imports, at random places among the largest
  client's citable rows of `bench/out/advice-1000000-300.db` (built by advice_search.py),
  in a copy of that file, so they compete with ~27k synthetic rows of the same vocabulary
  and most are older than the newest few thousand matches;
- every question of the four question sets goes through the advisor's query (its words
  plus the synonym map's terms), with every match ranked and with the cap;
- recall@1, @3 and @20 count the expected entry among the client's top 20.

    .venv/bin/python bench/retrieval_at_scale.py
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.advisor.playbook import read_playbook
from bot.advisor.retrieval import fts_terms
from bot.advisor.synonyms import default_synonyms
from bot.db import fulltext
from bot.db.engine import Database
from bot.text import terms

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "bench" / "out" / "advice-1000000-300.db"
PLANTED = ROOT / "bench" / "out" / "advice-1000000-300-planted.db"
CLIENT = "c0000"
SETS = (
    "config/eval/golden.jsonl",
    "bench/retrieval_heldout.jsonl",
    "bench/retrieval_paraphrased.jsonl",
    "bench/retrieval_test.jsonl",
)


def plant() -> dict[int, str]:
    """Copy the 1M file and overwrite random citable rows of the client with the playbook."""
    shutil.copyfile(SOURCE, PLANTED)
    db = sqlite3.connect(PLANTED)
    rows = [
        r[0]
        for r in db.execute(
            "SELECT id FROM advice WHERE client_id = ? AND source IN ('caio', 'import')", (CLIENT,)
        )
    ]
    entries = read_playbook([ROOT / "config" / "playbook"])
    chosen = random.Random(7).sample(rows, len(entries))
    for entry, row_id in zip(entries, chosen, strict=True):
        db.execute(
            "UPDATE advice SET question = ?, answer = ?, tags = ?, source = 'import' WHERE id = ?",
            (entry.title, entry.body, " ".join(entry.tags), row_id),
        )
    db.commit()
    db.close()
    return {row_id: f"playbook:{e.slug}" for e, row_id in zip(entries, chosen, strict=True)}


async def ranked(session: AsyncSession, question: str, candidates: int) -> list[int]:
    """The advisor's full-text query for the largest client, ranking `candidates` matches."""
    words = terms(question) + fts_terms(default_synonyms().expand(question), "sqlite")
    hits = await fulltext.search_advice(
        session, CLIENT, words, citable_only=True, candidates=candidates
    )
    return [i for i, _ in hits]


VARIANTS = {
    "every match ranked": 10**9,
    "newest 5,000 matches": 5000,
    f"newest {fulltext.RANKED_CANDIDATES:,} (shipped)": fulltext.RANKED_CANDIDATES,
}


async def measure(slugs: dict[int, str]) -> None:
    db = Database(f"sqlite:///{PLANTED}")
    async with db.session() as session:
        print(
            f"{'variant':<34} {'set':<22} {'r@1':>5} {'r@3':>5} {'r@20':>5} {'p50':>6} {'p95':>6}"
        )
        for name, candidates in VARIANTS.items():
            for path in SETS:
                ranks: list[int | None] = []
                took: list[float] = []
                for line in (ROOT / path).read_text().splitlines():
                    if not line.strip():
                        continue
                    case = json.loads(line)
                    await ranked(session, case["question"], candidates)  # warm the cache
                    started = time.perf_counter()
                    ids = await ranked(session, case["question"], candidates)
                    took.append((time.perf_counter() - started) * 1000)
                    found = [slugs.get(i) for i in ids]
                    hit = next((n for n, s in enumerate(found, 1) if s in case["expected"]), None)
                    ranks.append(hit)
                n = len(ranks)
                at = [sum(1 for r in ranks if r is not None and r <= k) / n for k in (1, 3, 20)]
                p95 = statistics.quantiles(took, n=20)[18]
                print(
                    f"{name:<34} {Path(path).stem:<22} {at[0]:5.2f} {at[1]:5.2f} {at[2]:5.2f} "
                    f"{statistics.median(took):6.1f} {p95:6.1f}"
                )
    await db.close()


def main() -> None:
    if not SOURCE.exists():
        raise SystemExit(f"{SOURCE} is missing: run bench/advice_search.py --rows 1000000 first")
    asyncio.run(measure(plant()))


if __name__ == "__main__":
    main()
