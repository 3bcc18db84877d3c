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

from migrations.fulltext import index_advice_per_client, share_advice_index

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    index_advice_per_client()


def downgrade() -> None:
    share_advice_index()
