"""Full-text index DDL per dialect, kept beside the migrations that create it.

SQLite: FTS5 tables (porter stemming) kept in step by triggers.
PostgreSQL: a stored generated `tsvector` column with a GIN index.

Revision 0001 created the advice index with the row's client, source and feedback as
columns of their own; 0007 replaces them with scope tokens per row (`scope_advice`),
because FTS5's bm25 walks the posting list of every phrase in a query, the scope's too;
0010 gives each client an index of its own (`index_advice_per_client`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.fulltext import create_advice_table, drop_advice_tables

# Searched columns per table, with their weight for PostgreSQL's setweight.
INDEXED: dict[str, tuple[tuple[str, str], ...]] = {
    "advice": (("question", "A"), ("answer", "B"), ("tags", "A")),
    "playbookentry": (("title", "A"), ("tags", "A"), ("body", "B")),
}
# Columns FTS5 also indexes to scope a query (SQLite only).
SCOPES: dict[str, tuple[str, ...]] = {"advice": ("client_id", "source", "feedback")}


def _sqlite_create(table: str, columns: list[str]) -> None:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {table}_fts USING fts5({cols}, content='{table}', "
        f"content_rowid='id', tokenize='porter unicode61')"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )


def _sqlite_drop(table: str) -> None:
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {table}_fts")


def _postgres_create(table: str, weighted: tuple[tuple[str, str], ...]) -> None:
    vector = " || ".join(
        f"setweight(to_tsvector('english', coalesce({c}, '')), '{w}')" for c, w in weighted
    )
    op.execute(
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({vector}) STORED"
    )
    op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING GIN (search_vector)")


def create_fulltext() -> None:
    dialect = op.get_bind().dialect.name
    for table, weighted in INDEXED.items():
        if dialect == "sqlite":
            _sqlite_create(table, [c for c, _ in weighted] + list(SCOPES.get(table, ())))
        else:
            _postgres_create(table, weighted)


def drop_fulltext() -> None:
    dialect = op.get_bind().dialect.name
    for table in INDEXED:
        if dialect == "sqlite":
            _sqlite_drop(table)
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


# The advice row's scope as two tokens: its client id in hex, and the same followed by 1 if
# the row may ground an answer (the CAIO's answers, imports, AI drafts rated helpful) or 0.
# Hex keeps every client id one token no stemmer changes, and has an even length, so the
# two kinds never collide. Revision 0010 replaced this index with one per client.
_SCOPE = (
    "lower(hex({row}.client_id)) || ' ' || lower(hex({row}.client_id)) || "
    "CASE WHEN {row}.source IN ('caio', 'import') OR {row}.feedback = 'helpful' "
    "THEN '1' ELSE '0' END"
)
_SCOPED_COLUMNS = ("question", "answer", "tags")


def _scoped_values(row: str) -> str:
    return ", ".join([f"{row}.{c}" for c in _SCOPED_COLUMNS] + [_SCOPE.format(row=row)])


def scope_advice() -> None:
    """Index each advice row's client and citability as scope tokens (revision 0007).

    SQLite: a contentless FTS5 table fed by triggers, so the token need not be a column of
    `advice`; a query's scope is then one short posting list instead of three long ones
    (docs/benchmarks-core.md). PostgreSQL: where `btree_gin` can be created, one GIN index
    over (client_id, search_vector) finds a client's matches in a single index scan.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        available = "SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin'"
        if bind.execute(sa.text(available)).first() is None:
            return  # the plain GIN index over search_vector stays
        try:
            with bind.begin_nested():  # a role without CREATE on the database cannot add it
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
        except sa.exc.DBAPIError:
            return
        op.execute(
            "CREATE INDEX ix_advice_client_search_vector ON advice "
            "USING GIN (client_id, search_vector)"
        )
        op.execute("DROP INDEX IF EXISTS ix_advice_search_vector")
        return
    _sqlite_drop("advice")
    cols = ", ".join((*_SCOPED_COLUMNS, "scope"))
    op.execute(
        f"CREATE VIRTUAL TABLE advice_fts USING fts5({cols}, content='', "
        "tokenize='porter unicode61')"
    )
    insert = f"INSERT INTO advice_fts(rowid, {cols}) VALUES (new.id, {_scoped_values('new')});"
    delete = (
        f"INSERT INTO advice_fts(advice_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {_scoped_values('old')});"
    )
    op.execute(f"CREATE TRIGGER advice_fts_ai AFTER INSERT ON advice BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER advice_fts_ad AFTER DELETE ON advice BEGIN {delete} END")
    # Only changes to what is indexed touch the index (a contentless table must be given
    # exactly the values a row was indexed with to remove it).
    op.execute(
        "CREATE TRIGGER advice_fts_au AFTER UPDATE OF question, answer, tags, client_id, "
        f"source, feedback ON advice BEGIN {delete} {insert} END"
    )
    op.execute(
        f"INSERT INTO advice_fts(rowid, {cols}) SELECT a.id, {_scoped_values('a')} FROM advice AS a"
    )


def unscope_advice() -> None:
    """Back to revision 0001's advice index."""
    if op.get_bind().dialect.name != "sqlite":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_advice_search_vector ON advice USING GIN (search_vector)"
        )
        op.execute("DROP INDEX IF EXISTS ix_advice_client_search_vector")
        return
    _sqlite_drop("advice")
    _sqlite_create("advice", [c for c, _ in INDEXED["advice"]] + list(SCOPES["advice"]))
    op.execute("INSERT INTO advice_fts(advice_fts) VALUES ('rebuild')")


def index_advice_per_client() -> None:
    """Replace the shared advice index with one per client that has advice (revision 0010);
    a new client's is made on its first search (`bot.db.fulltext`). SQLite only: the
    PostgreSQL GIN index already leads with the client."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _sqlite_drop("advice")
    clients = bind.execute(sa.text("SELECT DISTINCT client_id FROM advice")).scalars()
    for client_id in list(clients):
        create_advice_table(bind, client_id)


def share_advice_index() -> None:
    """Back to revision 0007's one advice index for every client."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    drop_advice_tables(bind)
    scope_advice()
