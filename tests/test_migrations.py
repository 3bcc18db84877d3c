"""The models and the migrations describe the same schema (no drift between them)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.engine import sync_url
from bot.db.registry import metadata


def _is_fulltext(diff: object) -> bool:
    text = str(diff)
    return "_fts" in text or "search_vector" in text


def test_models_match_migrations(database_url: str) -> None:
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [d for d in diffs if not _is_fulltext(d)] == []
