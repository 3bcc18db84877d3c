"""Schedules: check-ins, runs, prompts, answers, blockers, out-of-office days, the share
queue, and fire claims (a unique row per job, ref and fire time: what makes sends exactly once).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 20:39:39.952446
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.db.types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fireclaim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fire_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "ref", "fire_at"),
    )
    with op.batch_alter_table("fireclaim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fireclaim_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fireclaim_ref"), ["ref"], unique=False)

    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("days", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("local_time", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("anchor_date", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("month_day", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("participants", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("blocker_hours", sa.Float(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("skip_dates", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_fire_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "kind", "address"),
    )
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_changed_at"), ["changed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_schedule_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_schedule_next_fire_at"), ["next_fire_at"], unique=False
        )

    op.create_table(
        "shareitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tags", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shareitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shareitem_client_id"), ["client_id"], unique=False)

    op.create_table(
        "away",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("start", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("end", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("away", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_away_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_away_member_id"), ["member_id"], unique=False)

    op.create_table(
        "blocker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("opened_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedule.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("blocker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blocker_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_blocker_schedule_id"), ["schedule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_blocker_status"), ["status"], unique=False)

    op.create_table(
        "checkinanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("for_date", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedule.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "member_id", "for_date"),
    )
    with op.batch_alter_table("checkinanswer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkinanswer_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_checkinanswer_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("fire_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("local_date", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("closes_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("thread_address", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reminders_done", sa.Integer(), nullable=False),
        sa.Column("next_action_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("summarised_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedule.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "fire_at"),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_next_action_at"), ["next_action_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_schedule_id"), ["schedule_id"], unique=False)

    op.create_table(
        "prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reply_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sent_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "member_id"),
    )
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_prompt_reply_key"), ["reply_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_prompt_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_run_id"))
        batch_op.drop_index(batch_op.f("ix_prompt_reply_key"))
        batch_op.drop_index(batch_op.f("ix_prompt_client_id"))

    op.drop_table("prompt")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_run_next_action_at"))
        batch_op.drop_index(batch_op.f("ix_run_client_id"))

    op.drop_table("run")
    with op.batch_alter_table("checkinanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkinanswer_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_checkinanswer_client_id"))

    op.drop_table("checkinanswer")
    with op.batch_alter_table("blocker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocker_status"))
        batch_op.drop_index(batch_op.f("ix_blocker_schedule_id"))
        batch_op.drop_index(batch_op.f("ix_blocker_client_id"))

    op.drop_table("blocker")
    with op.batch_alter_table("away", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_away_member_id"))
        batch_op.drop_index(batch_op.f("ix_away_client_id"))

    op.drop_table("away")
    with op.batch_alter_table("shareitem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shareitem_client_id"))

    op.drop_table("shareitem")
    with op.batch_alter_table("schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_next_fire_at"))
        batch_op.drop_index(batch_op.f("ix_schedule_client_id"))
        batch_op.drop_index(batch_op.f("ix_schedule_changed_at"))

    op.drop_table("schedule")
    with op.batch_alter_table("fireclaim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fireclaim_ref"))
        batch_op.drop_index(batch_op.f("ix_fireclaim_client_id"))

    op.drop_table("fireclaim")
