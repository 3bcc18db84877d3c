"""What the vector part of hybrid search costs: the in-process index at 100k and 1M entries.

Run by hand: `.venv/bin/python bench/retrieval_vectors.py [--sizes 100000 1000000]`.
Measures, per size and dimension: building the matrix from stored float32 blobs (what a
process does on its first search for a client), the memory it holds, and the latency of one
top-20 query (matrix-vector product + partial sort), p50 and p95 over repeated queries.

With `--pgvector postgresql://…/DB` (a scratch database: its `embedding` table is
replaced) it times pgvector instead, for 384-d vectors all owned by one client, the worst
case: copying the blobs into `vec` (what revision 0011 does on upgrade) and, once
`VACUUM FULL` has dropped the rows the copy left behind, one top-20 query through
`PgVectorStore`.

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

from bot.advisor.vector_stores import _Matrix, from_blob, to_blob

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


async def pgvector_bench(
    url: str, size: int, rng: np.random.Generator
) -> tuple[float, float, float]:
    """(seconds to copy blobs into `vec`, p50 ms, p95 ms) for `size` 384-d rows of one client."""
    import sqlalchemy as sa

    from bot.db import pgvector
    from bot.db.engine import Database, sync_url
    from bot.db.migrate import upgrade

    engine = sa.create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(url)
    with engine.begin() as conn:
        pgvector.disable(conn)  # loaded as blobs first, as a database that upgrades has them
        for start in range(0, size, BLOCK):
            block = rng.standard_normal((min(BLOCK, size - start), 384), dtype=np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
            raw = conn.connection.dbapi_connection
            assert raw is not None
            with raw.cursor().copy(
                "COPY embedding (client_id, kind, ref_id, chunk, model, dim, text_hash, "
                "vector, created_at) FROM STDIN"
            ) as copy:
                for offset, vector in enumerate(block):
                    copy.write_row(
                        ("big", "advice", start + offset, 0, "m", 384, "", to_blob(vector), "now")
                    )
    began = time.perf_counter()
    with engine.begin() as conn:
        pgvector.enable(conn)
    copied = time.perf_counter() - began
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM FULL ANALYZE embedding"))  # copying left a dead row each
    engine.dispose()
    from bot.advisor.vector_stores import PgVectorStore

    db = Database(url)
    store = PgVectorStore()
    timings = []
    async with db.session() as session:
        for _ in range(QUERIES):
            query = rng.standard_normal(384, dtype=np.float32)
            query /= np.linalg.norm(query)
            began = time.perf_counter()
            await store.nearest(session, "big", "m", query, "advice", 20)
            timings.append((time.perf_counter() - began) * 1000)
    await db.close()
    timings.sort()
    return copied, statistics.median(timings), timings[int(0.95 * len(timings)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 1536])
    parser.add_argument("--max-gib", type=float, default=8.0, help="skip larger matrices")
    parser.add_argument("--fulltext-db", help="also time offline retrieval on this database")
    parser.add_argument("--pgvector", help="time pgvector on this scratch PostgreSQL database")
    args = parser.parse_args()
    if args.pgvector:
        table = Table(title="Vector search: pgvector exact scan, one client's rows (384-d)")
        for name in ("entries", "copy blobs into vec (s)", "p50 ms", "p95 ms"):
            table.add_column(name, justify="right")
        for size in args.sizes:
            copied, p50, p95 = asyncio.run(
                pgvector_bench(args.pgvector, size, np.random.default_rng(7))
            )
            table.add_row(f"{size:,}", f"{copied:.0f}", f"{p50:.1f}", f"{p95:.1f}")
        Console().print(table)
        return
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
