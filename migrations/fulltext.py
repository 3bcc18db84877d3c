"""Full-text index DDL per dialect, kept beside the migrations that create it.

SQLite: external-content FTS5 tables (porter stemming) kept in step by triggers. The
advice index also holds the row's client, source and feedback as columns of their own,
so a query is scoped inside FTS5 (it intersects posting lists) rather than filtering a
whole log's matches afterwards; bm25 gives those columns no weight.
PostgreSQL: a stored generated `tsvector` column with a GIN index.
"""

from __future__ import annotations

from alembic import op

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
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
