"""The later parts of Slack messages too long for one, kept across restarts.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_message_part",
        sa.Column("workspace", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("root_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "channel", "ts"),
    )
    op.create_index(
        "ix_slack_message_part_root",
        "slack_message_part",
        ["workspace", "channel", "root_ts"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_slack_message_part_root", table_name="slack_message_part")
    op.drop_table("slack_message_part")
