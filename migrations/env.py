"""Alembic environment: the URL comes from the caller's config, else from settings."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, pool, text

from bot.db.engine import sync_url
from bot.db.registry import metadata
from config.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url

# Two `db upgrade`s at once (a release step on two machines, systemd's ExecStartPre) would
# both create the first tables and one would fail. On PostgreSQL the second waits for this
# transaction-scoped lock, then finds the schema at head and does nothing.
MIGRATION_LOCK = 0x0CA10DB


def _migrate(connection: Connection) -> None:
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


def _engine() -> Engine:
    """On SQLite the whole upgrade is one exclusive transaction (SQLite's DDL is
    transactional once pysqlite stops committing around it), so a second `db upgrade`
    waits for the first, as on PostgreSQL, instead of creating the same tables again."""
    if not sync_url(url).startswith("sqlite"):
        return create_engine(sync_url(url), poolclass=pool.NullPool)
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, connect_args={"timeout": 600})

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_exclusive(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")

    return engine


def run_migrations_offline() -> None:
    context.configure(url=sync_url(url), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=metadata)
        _migrate(connectable)
        return
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            # Alembic treats SQLite's DDL as non-transactional and ends the transaction
            # after each revision, which let a second upgrade slip in between two of them.
            transactional_ddl=True,
        )
        _migrate(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
