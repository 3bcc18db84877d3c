"""Full-text queries in the database's own engine: FTS5 bm25 on SQLite, ts_rank on PostgreSQL.

Both return row ids with a score where larger is better, so callers need not know the
dialect. Terms are plain words (see `bot.text.terms`), so nothing a user types can break
the query syntax.

On SQLite each client's advice has an FTS5 table of its own (`advice_table`), made the
first time that client's advice is searched. FTS5's bm25 counts every query term's rows
across the whole table before it scores anything, so with one shared table every search
paid for the largest client's log; with a table per client it pays for its own
(docs/benchmarks-core.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sqlmodel
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Advice
from bot.text import terms

Mode = Literal["any", "all"]

# The CAIO's own answers outrank imports, which outrank AI drafts.
SOURCE_WEIGHT = {"caio": 2.0, "import": 1.5, "ai": 1.0}

# A ranked search scores at most this many of a client's matches, the newest: scoring all
# 11k-27k matches of a client with 90k rows of advice took 50 ms (docs/benchmarks-core.md).
# Only a very large log ever reaches it, and vectors still search all of it.
RANKED_CANDIDATES = 2000

_WEIGHT = (
    "CASE a.source "
    + " ".join(f"WHEN '{source}' THEN {weight}" for source, weight in SOURCE_WEIGHT.items())
    + " ELSE 1.0 END"
)

# What a client's advice table indexes (`citable` holds "1" for a row that may ground an
# answer), and the SQL for what may: the CAIO's answers, imports, and AI drafts someone
# marked helpful. It is a prefilter: `bot.advisor.retrieval.citable` has the last word and
# also drops extractive drafts, which this lets through because the index stores its
# verdict and is not told of author changes (pinned by tests/advisor/test_retrieval.py).
_COLUMNS = "question, answer, tags, citable"
_CITABLE = "{row}.source IN ('caio', 'import') OR {row}.feedback = 'helpful'"
_EXISTS = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t")


def _fts5_query(words: list[str], mode: Mode) -> str:
    joiner = " OR " if mode == "any" else " AND "
    return joiner.join(f'"{w}"' for w in words)


def _tsquery(words: list[str], mode: Mode) -> str:
    joiner = " | " if mode == "any" else " & "
    return joiner.join(words)


def advice_table(client_id: str) -> str:
    """The name of a client's advice index on SQLite: its id in hex, safe in any identifier."""
    return f"advice_fts_{client_id.encode().hex()}"


def _values(row: str) -> str:
    citable = _CITABLE.format(row=row)
    return f"{row}.question, {row}.answer, {row}.tags, CASE WHEN {citable} THEN '1' END"


def create_advice_table(conn: Connection, client_id: str) -> None:
    """Make a client's advice index, unless it exists, with the triggers that keep it in
    step, and index the advice the client already has.

    The index is contentless, so taking a row out needs exactly the values it went in
    with; the triggers give them. The caller runs this in a write transaction, so no row
    is indexed twice (by the backfill and a trigger) or missed.
    """
    table = advice_table(client_id)
    if conn.execute(_EXISTS, {"t": table}).first() is not None:
        return
    client = "'" + client_id.replace("'", "''") + "'"
    insert = f"INSERT INTO {table}(rowid, {_COLUMNS}) SELECT new.id, {_values('new')}"
    delete = (
        f"INSERT INTO {table}({table}, rowid, {_COLUMNS}) SELECT 'delete', old.id, {_values('old')}"
    )
    for ddl in (
        f"CREATE VIRTUAL TABLE {table} USING fts5({_COLUMNS}, content='', "
        "tokenize='porter unicode61')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON advice WHEN new.client_id = {client} "
        f"BEGIN {insert}; END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON advice WHEN old.client_id = {client} "
        f"BEGIN {delete}; END",
        # Only changes to what is indexed touch it; a row moving between clients leaves one
        # client's table and joins the other's.
        f"CREATE TRIGGER {table}_au AFTER UPDATE OF question, answer, tags, client_id, source, "
        f"feedback ON advice WHEN {client} IN (old.client_id, new.client_id) BEGIN "
        f"{delete} WHERE old.client_id = {client}; {insert} WHERE new.client_id = {client}; END",
        f"INSERT INTO {table}(rowid, {_COLUMNS}) SELECT a.id, {_values('a')} FROM advice AS a "
        f"WHERE a.client_id = {client}",
    ):
        conn.execute(text(ddl))


def drop_advice_tables(conn: Connection) -> None:
    """Remove every client's advice index and its triggers."""
    tables = conn.execute(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'advice#_fts#_%' "
            "ESCAPE '#' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
    ).scalars()
    for table in list(tables):
        for suffix in ("ai", "ad", "au"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_{suffix}"))
        conn.execute(text(f"DROP TABLE {table}"))


async def _ensure_advice_table(session: AsyncSession, client_id: str) -> str:
    """The client's advice index on SQLite, made now if this is its first search.

    It is made on a connection of its own, so `session` must hold no uncommitted writes:
    they would keep that connection waiting for the write lock."""
    table = advice_table(client_id)
    if (await session.exec(_EXISTS, params={"t": table})).first() is not None:  # type: ignore[call-overload]
        return table
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    # BEGIN IMMEDIATE takes the write lock before looking, so two processes searching a new
    # client at once make its table once.
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            await conn.run_sync(create_advice_table, client_id)
        except BaseException:
            await conn.exec_driver_sql("ROLLBACK")
            raise
        await conn.exec_driver_sql("COMMIT")
    return table


async def search_advice(
    session: AsyncSession,
    client_id: str,
    words: list[str],
    *,
    mode: Mode = "any",
    limit: int = 20,
    newest_first: bool = False,
    citable_only: bool = False,
    candidates: int = RANKED_CANDIDATES,
) -> list[tuple[int, float]]:
    """Advice ids of one client matching `words`, best first (or newest first).

    `citable_only` keeps what may ground an answer: the CAIO's answers, imports, and AI
    drafts someone marked helpful (a superset of `bot.advisor.retrieval.citable`, see
    `_CITABLE`). Best first ranks
    the newest `candidates` matches only."""
    if not words:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    order = "a.created_at DESC" if newest_first else "score DESC"
    if dialect == "sqlite":
        table = await _ensure_advice_table(session, client_id)
        match = f"{{question answer tags}} : ({_fts5_query(words, mode)})"
        if citable_only:
            match = f'citable : "1" AND {match}'
        if newest_first:
            # No score: bm25 would count every term's rows in the index for nothing.
            select, newest = "0.0", ""
        else:
            select = f"-bm25({table}, 2.0, 1.0, 2.0, 0) * {_WEIGHT}"
            # Rowids grow with time, and FTS5 walks a match newest first without scoring.
            newest = (
                f"AND {table}.rowid >= coalesce((SELECT rowid FROM {table} WHERE {table} "
                "MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :skip), 0) "
            )
        sql = text(
            f"SELECT a.id, {select} AS score "
            f"FROM {table} JOIN advice a ON a.id = {table}.rowid "
            # The index is the client's; the table's own client_id keeps tenants apart.
            f"WHERE {table} MATCH :q {newest}AND a.client_id = :client ORDER BY {order} LIMIT :k"
        )
        params = {"q": match, "skip": candidates - 1}
    else:
        citable = f" AND ({_CITABLE.format(row='a')})" if citable_only else ""
        matches = (
            "FROM advice a, to_tsquery('english', :q) q "
            f"WHERE a.client_id = :client AND a.search_vector @@ q{citable}"
        )
        if newest_first:
            sql = text(f"SELECT a.id, 0.0 AS score {matches} ORDER BY {order} LIMIT :k")
        else:
            sql = text(
                # MATERIALIZED keeps the matching apart from the LIMIT: given both, the
                # planner may walk the whole table's primary key backwards looking for
                # this client's newest matches (2.4 s for the largest client at 1M rows).
                "WITH matches AS MATERIALIZED "
                f"(SELECT a.id, a.source, a.search_vector {matches}), "
                "newest AS (SELECT * FROM matches ORDER BY id DESC LIMIT :n) "
                f"SELECT a.id, ts_rank(a.search_vector, q) * {_WEIGHT} AS score "
                f"FROM newest a, to_tsquery('english', :q) q ORDER BY {order} LIMIT :k"
            )
        params = {"q": _tsquery(words, mode), "n": candidates}
    rows = await session.exec(sql, params={**params, "client": client_id, "k": limit})  # type: ignore[call-overload]
    return [(int(r[0]), float(r[1])) for r in rows]


async def asked_before(
    session: AsyncSession, client_id: str, typed: str, *, limit: int = 24
) -> list[str]:
    """The questions of a client's advice that match what is being typed, each once: what
    autocomplete offers so that a search hits."""
    hits = await search_advice(session, client_id, terms(typed), limit=limit)
    if not hits:
        return []
    ids = [i for i, _ in hits]
    rows = await session.exec(
        sqlmodel.select(Advice.question).where(sqlmodel.col(Advice.id).in_(ids))
    )
    return list(dict.fromkeys(rows))


async def search_playbook(
    session: AsyncSession,
    client_id: str,
    words: list[str],
    *,
    synonyms: Sequence[str] = (),
    limit: int = 20,
) -> list[tuple[int, float]]:
    """Playbook entry ids (shipped and the client's own) matching any of `words` or their
    `synonyms`, best first; the asker's `words` weigh twice the synonyms.

    One incidental word ("invoice", "doc") brings in a whole synonym group, whose topic then
    outranked what was asked; weighing the words double fixed that on every question set
    (docs/retrieval.md). FTS5 sums bm25 over a query's phrases, so the words are sent twice;
    ts_rank ignores a repeated term, so a words-only ts_rank is added to the full one. The
    advice log does not: there it traded the playbook's recall@1 for the advice's, at a cost
    the 1M-row budget has no room for (docs/retrieval.md).
    """
    if not words:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "sqlite":
        sql = text(
            "SELECT p.id, -bm25(playbookentry_fts, 3.0, 3.0, 1.0) AS score "
            "FROM playbookentry_fts JOIN playbookentry p ON p.id = playbookentry_fts.rowid "
            "WHERE playbookentry_fts MATCH :q AND p.client_id IN ('', :client) "
            "ORDER BY score DESC LIMIT :k"
        )
        query = _fts5_query([*words, *words, *synonyms], "any")
        params = {"q": query, "client": client_id, "k": limit}
    else:
        sql = text(
            "SELECT p.id, ts_rank(p.search_vector, w) + ts_rank(p.search_vector, q) AS score "
            "FROM playbookentry p, to_tsquery('english', :w) w, to_tsquery('english', :q) q "
            "WHERE p.client_id IN ('', :client) AND p.search_vector @@ q "
            "ORDER BY score DESC LIMIT :k"
        )
        params = {
            "w": _tsquery(words, "any"),
            "q": _tsquery([*words, *synonyms], "any"),
            "client": client_id,
            "k": limit,
        }
    rows = await session.exec(sql, params=params)  # type: ignore[call-overload]
    return [(int(r[0]), float(r[1])) for r in rows]
