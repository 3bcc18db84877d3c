"""pgvector on PostgreSQL where the extension is available and this role may enable it:
`embedding.vec` beside the float32 blob, filled from it (`bot.db.pgvector`). The copy
holds the table while it runs: about 3 minutes for a million vectors (docs/retrieval.md).
Elsewhere, and on SQLite, nothing changes and the in-process index keeps answering.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from bot.db import pgvector

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if pgvector.enable(bind):
        pgvector.sync(bind)


def downgrade() -> None:
    pgvector.disable(op.get_bind())
