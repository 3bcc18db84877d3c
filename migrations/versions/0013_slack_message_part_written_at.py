"""When each Slack message part was recorded, so that old ones can be pruned. Parts
already there count as recorded at the upgrade: they get the whole retention.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    written_at = bot.db.types.UTCDateTime(timezone=True)
    op.add_column("slack_message_part", sa.Column("written_at", written_at, nullable=True))
    parts = sa.table("slack_message_part", sa.column("written_at", written_at))
    op.execute(parts.update().values(written_at=datetime.now(UTC)))
    with op.batch_alter_table("slack_message_part") as batch:
        batch.alter_column("written_at", nullable=False)
    op.create_index(
        "ix_slack_message_part_written_at", "slack_message_part", ["written_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_slack_message_part_written_at", table_name="slack_message_part")
    with op.batch_alter_table("slack_message_part") as batch:
        batch.drop_column("written_at")
