"""What the vector part of hybrid search costs: the in-process index at 100k and 1M entries.

Run by hand: `.venv/bin/python bench/retrieval_vectors.py [--sizes 100000 1000000]`.
Measures, per size and dimension: building the matrix from stored float32 blobs (what a
process does on its first search for a client), the memory it holds, and the latency of one
top-20 query (matrix-vector product + partial sort), p50 and p95 over repeated queries.

With `--fulltext-db sqlite:///bench/out/advice-1000000-300.db` (made by bench/advice_search.py)
it also times the offline path's full-text part (words plus synonyms, playbook and advice)
through `Retriever.search` for that log's biggest client, on the golden set's questions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from bot.advisor.vectors import _Matrix, from_blob, to_blob

QUERIES = 50
BLOCK = 100_000


def bench(size: int, dim: int, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """(load seconds, MiB held, p50 ms, p95 ms) for `size` random unit vectors of `dim`."""
    matrix = _Matrix()
    load = 0.0
    for start in range(0, size, BLOCK):
        block = rng.standard_normal((min(BLOCK, size - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        blobs = [to_blob(v) for v in block]  # as they come out of the database
        began = time.perf_counter()
        for offset, blob in enumerate(blobs):
            matrix.put(start + offset, 0, from_blob(blob))
        load += time.perf_counter() - began
    timings = []
    for _ in range(QUERIES):
        query = rng.standard_normal(dim, dtype=np.float32)
        query /= np.linalg.norm(query)
        began = time.perf_counter()
        matrix.top(query, 20)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    p95 = timings[int(0.95 * len(timings)) - 1]
    return load, matrix.data.nbytes / 2**20, statistics.median(timings), p95


async def fulltext(url: str) -> tuple[str, int, float, float]:
    """(client, its advice rows, p50 ms, p95 ms) of offline retrieval on the golden questions."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from bot.advisor.retrieval import Retriever
    from bot.cli.eval import read_cases
    from bot.db.engine import Database
    from bot.db.models import Advice
    from config.settings import PLAYBOOK_DIR

    db = Database(url)
    retriever = Retriever()
    questions = [c.question for c in read_cases(PLAYBOOK_DIR.parent / "eval" / "golden.jsonl")]
    async with db.session() as session:
        client, rows = (
            await session.exec(
                select(Advice.client_id, func.count())
                .group_by(col(Advice.client_id))
                .order_by(func.count().desc())
            )
        ).first() or ("", 0)
        timings = []
        for question in questions * 3:
            began = time.perf_counter()
            await retriever.search(session, client, question, method="offline")
            timings.append((time.perf_counter() - began) * 1000)
    await db.close()
    timings.sort()
    return client, rows, statistics.median(timings), timings[int(0.95 * len(timings)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 1536])
    parser.add_argument("--max-gib", type=float, default=8.0, help="skip larger matrices")
    parser.add_argument("--fulltext-db", help="also time offline retrieval on this database")
    args = parser.parse_args()
    if args.fulltext_db:
        client, rows, p50, p95 = asyncio.run(fulltext(args.fulltext_db))
        Console().print(
            f"offline retrieval (full text + synonyms) for {client} ({rows:,} advice rows): "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        )
    rng = np.random.default_rng(7)
    table = Table(title="Vector search: exact in-process scan (numpy)")
    for name in ("entries", "dim", "load from blobs (s)", "memory (MiB)", "p50 ms", "p95 ms"):
        table.add_column(name, justify="right")
    for dim in args.dims:
        for size in args.sizes:
            if size * dim * 4 / 2**30 > args.max_gib:
                table.add_row(f"{size:,}", str(dim), "skipped: over --max-gib", "", "", "")
                continue
            load, mib, p50, p95 = bench(size, dim, rng)
            table.add_row(
                f"{size:,}", str(dim), f"{load:.1f}", f"{mib:,.0f}", f"{p50:.1f}", f"{p95:.1f}"
            )
    Console().print(table)


if __name__ == "__main__":
    main()
