"""Schedules and what they did: check-ins, their runs, prompts, answers, blockers, the
share queue, out-of-office days, and the fire claims that make every send happen once.

The database is the source of truth for what is scheduled, sent and answered; APScheduler
only decides when to look (see `scheduler/`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class ScheduleKind(StrEnum):
    STANDUP = "standup"
    CHECKIN = "checkin"
    SHARE = "share"


class Report(StrEnum):
    """Where a check-in's summary goes."""

    CHANNEL = "channel"
    THREAD = "thread"
    CAIO = "caio"


class BlockerStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class Outcome(StrEnum):
    SENT = "sent"
    SENDING = "sending"
    """Claimed and being sent: lapses like `retrying` if its worker never confirms it."""
    SKIPPED = "skipped"
    FAILED = "failed"
    """Claimed, but the platform (or the database) failed: retried within the grace window."""
    RETRYING = "retrying"
    """Taken back by a worker that is sending it again; lapses if that worker stops."""


class Schedule(SQLModel, table=True):
    """A recurring thing in one channel: a stand-up, another check-in, or share posts.

    The time is stored as local time plus zone so that DST never moves it; `next_fire_at`
    is derived (UTC) and recomputed after every fire."""

    __table_args__ = (UniqueConstraint("client_id", "kind", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    kind: ScheduleKind = Field(sa_type=String)
    address: str
    days: str = "mon-fri"
    local_time: str = "09:30"
    timezone: str = "UTC"
    every_weeks: int = 1
    anchor_date: str = ""
    month_day: str = ""
    participants: str = ""
    questions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    window_minutes: int = 240
    report: Report = Field(default=Report.CHANNEL, sa_type=String)
    reminders: int = 1
    blocker_hours: float = 48.0
    paused: bool = False
    skip_dates: str = ""
    created_by: str = ""
    changed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    next_fire_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class Run(SQLModel, table=True):
    """One fire of a check-in: its prompts, answer window, reminders and summary."""

    __table_args__ = (UniqueConstraint("schedule_id", "fire_at"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    fire_at: datetime = Field(sa_type=UTCDateTime)
    local_date: str
    closes_at: datetime = Field(sa_type=UTCDateTime)
    thread_address: str | None = None
    reminders_done: int = 0
    next_action_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    summarised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Prompt(SQLModel, table=True):
    """A prompt sent to one participant; `reply_key` is the address replies arrive at, and
    `reminders_sent` the number of the last of the run's reminders that reached them."""

    __table_args__ = (UniqueConstraint("run_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    reply_key: str = Field(default="", index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminders_sent: int = 0


class PromptMessage(SQLModel, table=True):
    """A message that asks for a check-in answer (a prompt or its reminder), where it was
    posted. A platform's *Reply* names the message it answers, and a direct-message
    channel serves every team the person is in: this says whose prompt a Reply answers,
    after a restart too."""

    __tablename__ = "prompt_message"

    platform: str = Field(primary_key=True, max_length=16)
    channel: str = Field(primary_key=True, max_length=64)
    message_id: str = Field(primary_key=True, max_length=64)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    sent_at: datetime = Field(sa_type=UTCDateTime, index=True)


class CheckInAnswer(SQLModel, table=True):
    """A participant's answer for one local date (early answers have no run yet)."""

    __table_args__ = (UniqueConstraint("schedule_id", "member_id", "for_date"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    for_date: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class Blocker(SQLModel, table=True):
    """A blocker named in an answer, tracked until its owner clears it or it is escalated."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: BlockerStatus = Field(default=BlockerStatus.OPEN, sa_type=String, index=True)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalation_id: int | None = None


class Away(SQLModel, table=True):
    """A member's out-of-office days (inclusive, ISO dates in their own zone)."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    start: str
    end: str


class ShareItem(SQLModel, table=True):
    """A queued knowledge-sharing post; posted ones keep `posted_at`."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    tags: str = ""
    author: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FireClaim(SQLModel, table=True):
    """One scheduled send, claimed before anything is sent: the unique (job, ref, fire_at)
    row is what stops a second worker or a restart from sending it again. Its outcome and
    reason are what `/caio standup why` reads."""

    __table_args__ = (UniqueConstraint("job", "ref", "fire_at"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    job: str
    ref: str = Field(index=True)
    fire_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    worker: str = ""
    outcome: Outcome = Field(default=Outcome.SENT, sa_type=String)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
