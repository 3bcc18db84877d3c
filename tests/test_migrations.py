"""The models and the migrations describe the same schema (no drift between them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.engine import sync_url
from bot.db.migrate import alembic_config, upgrade
from bot.db.registry import metadata
from tests.conftest import PG_URL, requires_postgres

# Reflection knows no pgvector type; its column is left out of the comparison anyway.
pytestmark = pytest.mark.filterwarnings("ignore:Did not recognize type 'vector'")


def _is_outside_models(diff: object) -> bool:
    """Full-text indexes and pgvector's column exist per dialect, made by raw SQL."""
    text = str(diff)
    return any(mark in text for mark in ("_fts", "search_vector", "'vec'", "unsynced"))


def test_models_match_migrations(database_url: str) -> None:
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [d for d in diffs if not _is_outside_models(d)] == []


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


@requires_postgres
def test_a_role_that_may_not_create_extensions_still_upgrades() -> None:
    """Managed PostgreSQL often withholds CREATE on the database: the upgrade keeps the
    plain GIN index instead of failing on `btree_gin`, and the in-process vector index
    instead of failing on pgvector."""
    assert PG_URL is not None
    admin = sa.create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS caio_limited"))
        conn.execute(sa.text("DROP ROLE IF EXISTS caio_limited"))
        conn.execute(sa.text("CREATE ROLE caio_limited LOGIN"))
        conn.execute(sa.text("CREATE DATABASE caio_limited"))
    url = sa.make_url(sync_url(PG_URL)).set(database="caio_limited")
    owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(sa.text("REVOKE CREATE ON DATABASE caio_limited FROM PUBLIC"))
        conn.execute(sa.text("GRANT USAGE, CREATE ON SCHEMA public TO caio_limited"))
    owner.dispose()
    limited = url.set(username="caio_limited", password=None)
    try:
        upgrade(limited.render_as_string(hide_password=False))
        engine = sa.create_engine(limited)
        with engine.connect() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("advice")}
            columns = {c["name"] for c in sa.inspect(conn).get_columns("embedding")}
        engine.dispose()
        assert "ix_advice_search_vector" in indexes
        assert "vector" in columns and "vec" not in columns
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS caio_limited WITH (FORCE)"))
            conn.execute(sa.text("DROP ROLE IF EXISTS caio_limited"))
        admin.dispose()


@requires_postgres
def test_two_upgrades_at_once_both_succeed() -> None:
    """A release step on two machines: the second waits for the first, then finds the
    schema at head, instead of failing on a table the first just made."""
    assert PG_URL is not None
    admin = sa.create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS caio_race WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE caio_race"))
    url = sa.make_url(sync_url(PG_URL)).set(database="caio_race")
    try:
        assert upgrades_at_once(url.render_as_string(hide_password=False), 2) == 1
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS caio_race WITH (FORCE)"))
        admin.dispose()


def test_two_upgrades_at_once_on_sqlite_both_succeed(tmp_path: Path) -> None:
    """`make run` in two terminals, or a console started beside `serve`: the second
    upgrade waits for the first's exclusive transaction instead of creating its tables
    again ("table client already exists")."""
    assert upgrades_at_once(f"sqlite:///{tmp_path / 'race.db'}", 3) == 1


def upgrades_at_once(target: str, processes: int) -> int:
    """Run `db upgrade` on `target` in several processes at once, as production does
    (Alembic's context is one per process); each must succeed. Returns how many version
    rows the database ends with."""
    script = "import sys; from bot.db.migrate import upgrade; upgrade(sys.argv[1])"
    runs = [
        subprocess.Popen([sys.executable, "-c", script, target], stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr.decode()[-500:]
    engine = sa.create_engine(target)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    return len(versions)
