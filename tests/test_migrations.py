"""The models and the migrations describe the same schema (no drift between them)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.engine import sync_url
from bot.db.migrate import alembic_config, upgrade
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


def test_migrations_go_down_to_nothing_and_up_again(database_url: str) -> None:
    """An operator can roll a release back: every revision's downgrade works."""
    command.downgrade(alembic_config(database_url), "base")
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as conn:
        left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert left == set()
    upgrade(database_url)
    test_models_match_migrations(database_url)
