"""Slack's tables: the event ids already handled (so retries never answer twice, however
many web processes run), the later parts of messages too long for one Slack message, and
slack_sdk's OAuth installation and state stores.

The installation tables are defined by slack_sdk itself and added to our metadata, so
Alembic and the drift test see them and `caio-bot db upgrade` creates them.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
STATES_TABLE = "slack_oauth_states"


class SlackEvent(SQLModel, table=True):
    """An Events API delivery already taken on; its id is claimed once across processes."""

    __tablename__ = "slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(default="", max_length=32)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SlackMessagePart(SQLModel, table=True):
    """A later part of a message split across Slack messages: which message (`root_ts`) it
    continues and its place. Kept in the database, not in memory, so that a click on any
    part still updates the whole message after a restart or on another web process;
    `written_at` is when the parts were last recorded, which is what retention ages."""

    __tablename__ = "slack_message_part"
    __table_args__ = (Index("ix_slack_message_part_root", "workspace", "channel", "root_ts"),)

    workspace: str = Field(primary_key=True, max_length=32)
    channel: str = Field(primary_key=True, max_length=32)
    ts: str = Field(primary_key=True, max_length=32)
    root_ts: str = Field(max_length=32)
    position: int
    written_at: datetime = Field(sa_type=UTCDateTime, index=True)


slack_installations = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, INSTALLATIONS_TABLE
)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, BOTS_TABLE)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SQLModel.metadata, STATES_TABLE
)
