"""One advice index per client on SQLite, so a search walks its own client's postings.

The shared FTS5 table made every ranked search count each term's rows across all
clients' advice before scoring (docs/benchmarks-core.md). Clients with advice get their
table here; a new client's is made on its first search (`bot.db.fulltext`). PostgreSQL is
unchanged: its GIN index already leads with the client.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.fulltext import create_advice_table, drop_advice_tables
from migrations.fulltext import scope_advice

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS advice_fts_{suffix}")
    op.execute("DROP TABLE IF EXISTS advice_fts")
    clients = bind.execute(sa.text("SELECT DISTINCT client_id FROM advice")).scalars()
    for client_id in list(clients):
        create_advice_table(bind, client_id)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    drop_advice_tables(bind)
    scope_advice()
