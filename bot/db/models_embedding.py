"""Stored embeddings: one row per embedded piece of a playbook entry or advice entry.

The vector is a compact little-endian float32 blob (pgvector is not assumed; where it is
on, `bot.db.pgvector` moves the blob into a column of its own and leaves it empty), and the
model that made it is stored alongside so a model change is detected and `index rebuild`
redoes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


class Embedding(SQLModel, table=True):
    """`kind` is "playbook" or "advice"; `ref_id` that row's id; `chunk` the piece's number.

    `client_id` is empty for the shipped playbook, the owning client's id otherwise.
    """

    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "chunk", "model"),
        Index("ix_embedding_client_model_id", "client_id", "model", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(default="")
    kind: str
    ref_id: int
    chunk: int = 0
    model: str
    dim: int
    text_hash: str
    vector: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime)


class RetrievalPolicy(SQLModel, table=True):
    """Per-client retrieval knobs: after how many days advice is cited as possibly stale."""

    client_id: str = Field(primary_key=True, foreign_key="client.id", max_length=64)
    stale_after_days: int
