"""Full-text queries in the database's own engine: FTS5 bm25 on SQLite, ts_rank on PostgreSQL.

Both return row ids with a score where larger is better, so callers need not know the
dialect. Terms are plain words (see `bot.text.terms`), so nothing a user types can break
the query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

Mode = Literal["any", "all"]

# The CAIO's own answers outrank imports, which outrank AI drafts.
SOURCE_WEIGHT = {"caio": 2.0, "import": 1.5, "ai": 1.0}

_SQLITE_WEIGHT = "CASE a.source WHEN 'caio' THEN 2.0 WHEN 'import' THEN 1.5 ELSE 1.0 END"


def _fts5_query(words: list[str], mode: Mode) -> str:
    joiner = " OR " if mode == "any" else " AND "
    return joiner.join(f'"{w}"' for w in words)


def scope_token(client_id: str, *, citable_only: bool) -> str:
    """The advice index's token for a client's rows (the client id in hex), or for the rows
    among them that may ground an answer (followed by 1); migrations/fulltext.py writes them."""
    return client_id.encode().hex() + ("1" if citable_only else "")


def _tsquery(words: list[str], mode: Mode) -> str:
    joiner = " | " if mode == "any" else " & "
    return joiner.join(words)


async def search_advice(
    session: AsyncSession,
    client_id: str,
    words: list[str],
    *,
    mode: Mode = "any",
    limit: int = 20,
    newest_first: bool = False,
    citable_only: bool = False,
) -> list[tuple[int, float]]:
    """Advice ids of one client matching `words`, best first (or newest first).

    `citable_only` keeps what may ground an answer: the CAIO's answers, imports, and AI
    drafts someone marked helpful (see `bot.advisor.retrieval.citable`)."""
    if not words:
        return []
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    order = "a.created_at DESC" if newest_first else "score DESC"
    if dialect == "sqlite":
        # The client (and what is citable) is one token in the MATCH, so FTS5 scores only
        # this client's matching rows instead of every client's (docs/benchmarks-core.md).
        scope = scope_token(client_id, citable_only=citable_only)
        match = f'scope : "{scope}" AND {{question answer tags}} : ({_fts5_query(words, mode)})'
        # Newest first needs no score, and bm25 would walk every term's whole posting list.
        score = "0.0" if newest_first else f"-bm25(advice_fts, 2.0, 1.0, 2.0, 0) * {_SQLITE_WEIGHT}"
        sql = text(
            f"SELECT a.id, {score} AS score "
            "FROM advice_fts JOIN advice a ON a.id = advice_fts.rowid "
            # The index narrows; the table's own client_id keeps tenants apart.
            f"WHERE advice_fts MATCH :q AND a.client_id = :client ORDER BY {order} LIMIT :k"
        )
        params = {"q": match, "client": client_id, "k": limit}
    else:
        citable = (
            " AND (a.source IN ('caio', 'import') OR a.feedback = 'helpful')"
            if citable_only
            else ""
        )
        sql = text(
            "SELECT a.id, ts_rank(a.search_vector, q) * CASE a.source WHEN 'caio' THEN 2.0 "
            "WHEN 'import' THEN 1.5 ELSE 1.0 END AS score "
            "FROM advice a, to_tsquery('english', :q) q "
            f"WHERE a.client_id = :client AND a.search_vector @@ q{citable} "
            f"ORDER BY {order} LIMIT :k"
        )
        params = {"q": _tsquery(words, mode), "client": client_id, "k": limit}
    rows = await session.exec(sql, params=params)  # type: ignore[call-overload]
    return [(int(r[0]), float(r[1])) for r in rows]


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
    advice log does not do this: at a million rows the doubled query cost twice the time.
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
