"""pgvector keeps each vector once: where `embedding.vec` is there, the blobs already
copied into it are emptied (`bot.db.pgvector.sync` moves them from now on). Downgrading
puts them back from `vec`. Elsewhere, and on SQLite, nothing changes.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db import pgvector

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(pgvector.HAS_COLUMN).first():
        bind.execute(
            sa.text(
                f"UPDATE embedding SET vector = ''::bytea "
                f"WHERE {pgvector.COLUMN} IS NOT NULL AND length(vector) > 0"
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(pgvector.HAS_COLUMN).first():
        pgvector.restore(bind)
