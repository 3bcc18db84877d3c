"""The messages that ask for check-in answers, so a *Reply* to one finds its team after a
restart.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.db.types

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_message",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.PrimaryKeyConstraint("platform", "channel", "message_id"),
    )
    op.create_index("ix_prompt_message_prompt_id", "prompt_message", ["prompt_id"])
    op.create_index("ix_prompt_message_sent_at", "prompt_message", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_prompt_message_sent_at", table_name="prompt_message")
    op.drop_index("ix_prompt_message_prompt_id", table_name="prompt_message")
    op.drop_table("prompt_message")
