"""pgvector on PostgreSQL, where the extension can be enabled: nearest entries found in SQL.

The float32 blob in `embedding.vector` stays the one place the bot writes a vector, on
every database. Where pgvector is enabled, `sync` moves it into `embedding.vec`, pgvector's
type, and empties the blob (revision 0011 and `caio-bot index rebuild` for all rows, each
search for the few rows written since), so a row holds its vector once. A process then
holds no matrix, and every process sees a vector the moment it is committed. Whether to
use it is decided by the column being there, so a database without the extension keeps
the in-process index; turning pgvector off (`disable`) puts the blobs back first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sqlalchemy as sa
import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

log = structlog.get_logger(__name__)

COLUMN = "vec"
UNSYNCED_INDEX = "ix_embedding_unsynced"
SYNC_BATCH = 500

HAS_COLUMN = sa.text(
    "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
    f"AND table_name = 'embedding' AND column_name = '{COLUMN}'"
)
_NEAREST = sa.text(
    f"SELECT ref_id, -({COLUMN} <#> CAST(:query AS vector)) AS score FROM embedding "
    "WHERE client_id IN ('', :client_id) AND model = :model AND kind = :kind AND dim = :dim "
    f"AND {COLUMN} IS NOT NULL ORDER BY {COLUMN} <#> CAST(:query AS vector) LIMIT :limit"
)


def enable(conn: sa.Connection) -> bool:
    """Add `embedding.vec` where pgvector is installed or can be created by this role; true
    if it is there. False, changing nothing, where it cannot. Copying is `sync`'s job."""
    if conn.dialect.name != "postgresql":
        return False
    if conn.execute(HAS_COLUMN).first() is not None:
        return True  # and no ALTER TABLE, whose lock would stall every search meanwhile
    available = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
    if conn.execute(sa.text(available)).first() is None:
        return False
    try:
        with conn.begin_nested():  # creating it takes a superuser unless an admin already did
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError as exc:
        log.warning("pgvector is available but cannot be enabled", error=str(exc.orig))
        return False
    conn.execute(sa.text(f"ALTER TABLE embedding ADD COLUMN IF NOT EXISTS {COLUMN} vector"))
    # A row not yet copied holds its vector twice, over the 2 kB at which PostgreSQL moves
    # the largest value out of line. That must be the blob: a scan that fetches `vec` from
    # TOAST reads six buffers a row, not one.
    conn.execute(sa.text(f"ALTER TABLE embedding ALTER COLUMN {COLUMN} SET STORAGE MAIN"))
    conn.execute(sa.text("ALTER TABLE embedding ALTER COLUMN vector SET STORAGE EXTERNAL"))
    # Finds the rows still to copy without reading the ones already copied.
    conn.execute(
        sa.text(
            f"CREATE INDEX IF NOT EXISTS {UNSYNCED_INDEX} ON embedding (id) WHERE {COLUMN} IS NULL"
        )
    )
    return True


def disable(conn: sa.Connection) -> None:
    """Back to the blob alone, every vector put back into it; the extension stays, as
    other schemas may use it."""
    if conn.dialect.name == "postgresql" and conn.execute(HAS_COLUMN).first() is not None:
        restore(conn)
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {UNSYNCED_INDEX}"))
        conn.execute(sa.text(f"ALTER TABLE embedding DROP COLUMN IF EXISTS {COLUMN}"))
        conn.execute(sa.text("ALTER TABLE embedding ALTER COLUMN vector SET STORAGE EXTENDED"))


def sync(
    conn: sa.Connection,
    client_id: str | None = None,
    *,
    commit_each: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Move blobs into `vec` for rows that lack it (one client's and the shipped playbook's,
    or all), leaving an empty blob; returns how many. A row another process is copying is
    left to it: waiting would stall this search, and taking rows in two orders could
    deadlock.

    `commit_each` commits every batch, so a long copy beside a running bot holds no row
    for longer than a batch takes."""
    scope = "AND client_id IN ('', :client_id)" if client_id is not None else ""
    pending = sa.text(
        f"SELECT id, vector FROM embedding WHERE {COLUMN} IS NULL AND id > :after {scope} "
        f"ORDER BY id LIMIT {SYNC_BATCH} FOR UPDATE SKIP LOCKED"
    )
    fill = sa.text(
        f"UPDATE embedding SET {COLUMN} = CAST(batch.vec AS vector), vector = ''::bytea "
        "FROM unnest(CAST(:ids AS integer[]), CAST(:vecs AS text[])) AS batch(id, vec) "
        "WHERE embedding.id = batch.id"
    )
    copied = after = 0
    while rows := conn.execute(pending, {"client_id": client_id, "after": after}).all():
        vecs = [literal(np.frombuffer(blob, "<f4")) for _, blob in rows]
        conn.execute(fill, {"ids": [i for i, _ in rows], "vecs": vecs})
        copied += len(rows)
        after = rows[-1][0]
        if commit_each:
            conn.commit()
        if progress is not None:
            progress(len(rows))
    return copied


def restore(conn: sa.Connection) -> int:
    """Put each vector `sync` moved into `vec` back into its blob (before `vec` is dropped);
    returns how many. pgvector prints a float4 so that it reads back bit for bit."""
    moved = sa.text(
        f"SELECT id, CAST({COLUMN} AS text) FROM embedding "
        f"WHERE {COLUMN} IS NOT NULL AND length(vector) = 0 AND id > :after "
        f"ORDER BY id LIMIT {SYNC_BATCH}"
    )
    fill = sa.text(
        "UPDATE embedding SET vector = batch.blob "
        "FROM unnest(CAST(:ids AS integer[]), CAST(:blobs AS bytea[])) AS batch(id, blob) "
        "WHERE embedding.id = batch.id"
    )
    restored = after = 0
    while rows := conn.execute(moved, {"after": after}).all():
        blobs = [np.array(text[1:-1].split(","), dtype="<f4").tobytes() for _, text in rows]
        conn.execute(fill, {"ids": [i for i, _ in rows], "blobs": blobs})
        restored += len(rows)
        after = rows[-1][0]
    return restored


def pending(conn: sa.Connection) -> int:
    """Rows whose vector `sync` has yet to copy."""
    return int(
        conn.execute(sa.text(f"SELECT count(*) FROM embedding WHERE {COLUMN} IS NULL")).scalar_one()
    )


def literal(vector: np.ndarray) -> str:
    """pgvector's text form. Nine significant digits read back as the same float32, and
    one `%` over the whole vector is 2.5× faster than joining each float's repr."""
    values = tuple(vector.tolist())
    return "[" + ",".join(["%.9g"] * len(values)) % values + "]"


async def in_use(session: AsyncSession) -> bool:
    """Whether this database has `embedding.vec` (checked once per process by the caller)."""
    if (await session.connection()).dialect.name != "postgresql":
        return False
    return (await session.exec(HAS_COLUMN)).first() is not None  # type: ignore[call-overload]


async def nearest(
    session: AsyncSession, client_id: str, model: str, query: np.ndarray, kind: str, limit: int
) -> list[tuple[int, float]]:
    """Rows of `kind` by inner product with `query`, best first: an exact scan of the
    client's rows and the shipped playbook's, after copying any not yet in `vec`."""
    if await session.run_sync(lambda s: sync(s.connection(), client_id)):
        await session.commit()
    rows = await session.exec(  # type: ignore[call-overload]
        _NEAREST,
        params={
            "query": literal(query),
            "client_id": client_id,
            "model": model,
            "kind": kind,
            "dim": len(query),
            "limit": limit,
        },
    )
    return [(int(ref_id), float(score)) for ref_id, score in rows]
