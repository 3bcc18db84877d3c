"""The fractional practice: retainer hours and their alerts, decisions (ADRs), and the
tech radar with the history of every move.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27 20:40:05.331424
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.db.types

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("radarmove", "radarblip", "hoursentry", "hoursalert", "decision")


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("thread_address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("decided_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "number"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_decided_at"), ["decided_at"], unique=False)

    op.create_table(
        "hoursalert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("sent_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "month", "threshold"),
    )
    with op.batch_alter_table("hoursalert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hoursalert_client_id"), ["client_id"], unique=False)

    op.create_table(
        "hoursentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("logged_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("worked_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hoursentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hoursentry_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hoursentry_worked_at"), ["worked_at"], unique=False)

    op.create_table(
        "radarblip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ring", sa.String(), nullable=False),
        sa.Column("quadrant", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "key"),
    )
    with op.batch_alter_table("radarblip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_radarblip_client_id"), ["client_id"], unique=False)

    op.create_table(
        "radarmove",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("blip_id", sa.Integer(), nullable=False),
        sa.Column("from_ring", sa.String(), nullable=True),
        sa.Column("to_ring", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("moved_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("moved_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blip_id"],
            ["radarblip.id"],
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("radarmove", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_radarmove_blip_id"), ["blip_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_radarmove_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_radarmove_moved_at"), ["moved_at"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
