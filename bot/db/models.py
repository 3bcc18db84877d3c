"""The core tables. Every row that belongs to a client carries `client_id`.

Enums are stored as their string values (`sa_type=String`), never as native enum types,
so that migrations stay plain and values read back equal the enum members.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class Role(StrEnum):
    MEMBER = "member"
    LEAD = "lead"
    CAIO = "caio"
    ADMIN = "admin"


class Seniority(StrEnum):
    JUNIOR = "junior"
    SENIOR = "senior"


class AdviceSource(StrEnum):
    AI = "ai"
    CAIO = "caio"
    IMPORT = "import"


class Feedback(StrEnum):
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


class QuestionStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"


class EscalationStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Client(SQLModel, table=True):
    """A company the CAIO advises."""

    id: str = Field(primary_key=True, max_length=64)
    name: str
    queue_address: str | None = None
    timezone: str = "UTC"
    country: str | None = None
    region: str | None = None
    office_hours: str = "mon-fri 09:00-17:00"
    quiet_hours: str = "20:00-08:00"
    response_target_hours: float = 24.0
    retainer_hours: float = 0.0
    profile: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_type=UTCDateTime)


class Workspace(SQLModel, table=True):
    """A Slack workspace, Discord guild or console session mapped to a client."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    platform: str
    external_id: str


class Member(SQLModel, table=True):
    """A person of a client team, on one platform, with their caio-bot role."""

    __table_args__ = (UniqueConstraint("client_id", "platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    platform: str
    user_id: str
    name: str
    role: Role = Field(default=Role.MEMBER, sa_type=String)
    seniority: Seniority | None = Field(default=None, sa_type=String)
    timezone: str | None = None


class Question(SQLModel, table=True):
    """A question as asked, stored before any LLM call so that none is lost."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    asker_id: int = Field(foreign_key="member.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    origin_address: str
    thread_address: str | None = None
    status: QuestionStatus = Field(default=QuestionStatus.PENDING, sa_type=String, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)
    """The process answering it (`bot.liveness`): its claim ends with that process."""
    placeholder: str | None = None
    """Where "Thinking…" was posted (`Posted.key`), so whichever process finishes the
    answer puts it there instead of leaving that message unfinished."""
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Advice(SQLModel, table=True):
    """One piece of advice given: the log the CAIO reports from."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    source: AdviceSource = Field(sa_type=String)
    author: str
    mentee_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    mentee_name: str | None = None
    tags: str = ""
    sources: str = ""
    feedback: Feedback | None = Field(default=None, sa_type=String)
    question_id: int | None = Field(default=None, foreign_key="question.id")
    escalation_id: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Escalation(SQLModel, table=True):
    """A question handed to the CAIO: open → answered → closed."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id")
    draft_advice_id: int | None = Field(default=None, foreign_key="advice.id")
    answer_advice_id: int | None = Field(default=None, foreign_key="advice.id")
    asker_id: int = Field(foreign_key="member.id")
    question: str = Field(sa_column=Column(Text, nullable=False))
    origin_address: str
    queue_address: str | None = Field(default=None, index=True)
    status: EscalationStatus = Field(default=EscalationStatus.OPEN, sa_type=String, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlaybookEntry(SQLModel, table=True):
    """A playbook topic; `client_id` empty for the shipped one, set for a client's own."""

    __table_args__ = (UniqueConstraint("client_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(default="", index=True)
    slug: str
    title: str
    tags: str = ""
    body: str = Field(sa_column=Column(Text, nullable=False))
