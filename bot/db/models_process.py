"""Which processes are alive: each keeps its own row's `seen_at` fresh (`bot.liveness`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class Heartbeat(SQLModel, table=True):
    process: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = Field(sa_type=UTCDateTime)
