"""What would make ranked retrieval fast at 1M rows cost in quality? Measured, not guessed.

FTS5's bm25 walks every query term's posting list across the whole log before it scores a
row, then scores every matching row of the client; at 1M rows that misses the 20 ms budget
(docs/benchmarks-core.md). Each obvious remedy ranks fewer terms or fewer rows, so this
bench measures what each costs in recall:

- the 27 playbook entries are planted, as imports, at random places among the largest
  client's citable rows of `bench/out/advice-1000000-300.db` (built by advice_search.py),
  in a copy of that file, so they compete with ~27k synthetic rows of the same vocabulary;
- every question of the four question sets goes through the advisor's query (its words
  plus the synonym map's terms) and through each variant;
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
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
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
COMMON_SHARE = 0.05  # "common": in more than 5 % of the whole log
RAREST = 8


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


class Variants:
    """The advisor's query and the variants that rank fewer terms, on the same index."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.counts: dict[str, int] = {}
        self.size = 0

    async def count(self, term: str) -> int:
        """How many rows of the whole log hold the term (what bm25 walks for it)."""
        if term not in self.counts:
            q = f'{{question answer tags}} : ("{term}")'
            found = await self.session.exec(  # type: ignore[call-overload]
                text("SELECT count(*) FROM advice_fts WHERE advice_fts MATCH :q"),
                params={"q": q},
            )
            self.counts[term] = int(found.one()[0])
        return self.counts[term]

    async def rank(self, words: list[str], synonyms: list[str]) -> list[int]:
        hits = await fulltext.search_advice(
            self.session, CLIENT, words + synonyms, citable_only=True
        )
        return [i for i, _ in hits]

    async def advisor(self, words: list[str], synonyms: list[str]) -> list[int]:
        return await self.rank(words, synonyms)

    async def drop_common(self, words: list[str], synonyms: list[str]) -> list[int]:
        limit = COMMON_SHARE * self.size
        rare_words = [w for w in words if await self.count(w) <= limit]
        rare_synonyms = [s for s in synonyms if await self.count(s) <= limit]
        return await self.rank(rare_words or words, rare_synonyms)

    async def rarest(self, words: list[str], synonyms: list[str]) -> list[int]:
        counts = {t: await self.count(t) for t in words + synonyms}
        kept = set(sorted(counts, key=counts.__getitem__)[:RAREST])
        chosen = [w for w in words if w in kept]
        return await self.rank(chosen or words[:1], [s for s in synonyms if s in kept])


async def measure(slugs: dict[int, str]) -> None:
    db = Database(f"sqlite:///{PLANTED}")
    synonyms = default_synonyms()
    async with db.session() as session:
        variants = Variants(session)
        size = await session.exec(text("SELECT max(id) FROM advice"))  # type: ignore[call-overload]
        variants.size = int(size.one()[0])
        named: dict[str, Callable[[list[str], list[str]], Awaitable[list[int]]]] = {
            "advisor's query (all terms)": variants.advisor,
            f"drop terms in > {COMMON_SHARE:.0%} of the log": variants.drop_common,
            f"keep the {RAREST} rarest terms": variants.rarest,
        }
        print(
            f"{'variant':<34} {'set':<22} {'r@1':>5} {'r@3':>5} {'r@20':>5} {'p50':>6} {'p95':>6}"
        )
        for name, run in named.items():
            for path in SETS:
                ranks: list[int | None] = []
                took: list[float] = []
                for line in (ROOT / path).read_text().splitlines():
                    if not line.strip():
                        continue
                    case = json.loads(line)
                    question = case["question"]
                    words = terms(question)
                    extra = fts_terms(synonyms.expand(question), "sqlite")
                    await run(words, extra)  # counting a term's rows is not what is timed
                    started = time.perf_counter()
                    found = [slugs.get(i) for i in await run(words, extra)]
                    took.append((time.perf_counter() - started) * 1000)
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
