"""The fractional practice: hours against the retainer, alerts sent, decisions (ADRs), and
the tech radar with its history. Every row carries its client id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class Ring(StrEnum):
    ADOPT = "adopt"
    TRIAL = "trial"
    ASSESS = "assess"
    HOLD = "hold"


class Quadrant(StrEnum):
    TECHNIQUES = "techniques"
    TOOLS = "tools"
    PLATFORMS = "platforms"
    LANGUAGES = "languages-and-frameworks"


class HoursEntry(SQLModel, table=True):
    """Time the CAIO spent for a client, in minutes."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    minutes: int
    note: str = Field(sa_column=Column(Text, nullable=False))
    logged_by: str
    escalation_id: int | None = None
    worked_at: datetime = Field(sa_type=UTCDateTime, index=True)


class HoursAlert(SQLModel, table=True):
    """An 80% or 100% retainer alert already sent: the unique row makes it once per month."""

    __table_args__ = (UniqueConstraint("client_id", "month", "threshold"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    month: str
    threshold: int
    sent_at: datetime = Field(sa_type=UTCDateTime)


class Decision(SQLModel, table=True):
    """An architecture or strategy decision in the ADR shape, numbered per client."""

    __table_args__ = (UniqueConstraint("client_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    number: int
    title: str
    context: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    options: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decision: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    consequences: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: DecisionStatus = Field(default=DecisionStatus.ACCEPTED, sa_type=String)
    decided_by: str
    superseded_by: int | None = None
    thread_address: str | None = None
    decided_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RadarBlip(SQLModel, table=True):
    """A technology on the client's radar; `key` is its lower-cased name, unique per client."""

    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    key: str
    name: str
    ring: Ring = Field(sa_type=String)
    quadrant: Quadrant = Field(sa_type=String)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RadarMove(SQLModel, table=True):
    """One placement or move of a blip: its history, and the report's radar changes."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    blip_id: int = Field(foreign_key="radarblip.id", index=True)
    from_ring: Ring | None = Field(default=None, sa_type=String)
    to_ring: Ring = Field(sa_type=String)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    moved_by: str
    moved_at: datetime = Field(sa_type=UTCDateTime, index=True)
