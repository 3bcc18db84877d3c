"""Scope the advice index with one token per client and citability; on PostgreSQL a GIN
index that leads with the client (`btree_gin`).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

from migrations.fulltext import scope_advice, unscope_advice

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    scope_advice()


def downgrade() -> None:
    unscope_advice()
