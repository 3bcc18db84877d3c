"""Advice log in and out: JSONL, CSV and Markdown export; JSONL import of an existing FAQ.

Import lines carry `question`, `answer`, and optionally `author`, `tags` (list or
comma-separated), `created_at` (ISO 8601), `client`, `source`, `mentee` and `feedback`:
a JSONL export is a valid import. Every line is validated first; a bad line is reported
with its number and nothing is half-imported. An entry already present is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.advisor.redact import redact
from bot.db.models import Advice, AdviceSource, Feedback
from bot.spreadsheet import to_csv

EXPORT_FIELDS = (
    "id",
    "client",
    "created_at",
    "question",
    "answer",
    "source",
    "author",
    "mentee",
    "tags",
    "feedback",
    "sources",
)


class ImportLine(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    author: str = "imported FAQ"
    tags: list[str] = []
    created_at: datetime | None = None
    client: str | None = None
    source: AdviceSource = AdviceSource.IMPORT
    mentee: str | None = None
    feedback: Feedback | None = None

    @field_validator("question", "answer", "author", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL, and it means nothing in a FAQ."""
        return value.replace("\x00", "") if isinstance(value, str) else value

    @field_validator("mentee", "feedback", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        """An export writes an empty cell where there was no mentee or feedback."""
        return value if not isinstance(value, str) or value.strip() else None

    @field_validator("tags", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class ImportError_(ValueError):
    """A line that cannot be imported; the message names the line."""


def parse_jsonl(lines: Iterable[str], only_client: str | None = None) -> list[ImportLine]:
    """The file's lines; with `only_client` (the operator's `--client`), a line naming
    another client is an error: one client's FAQ must never become another's advice."""
    parsed: list[ImportLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = ImportLine.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ImportError_(f"line {number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ImportError_(f"line {number}: {problems}") from None
        if only_client is not None and entry.client not in (None, only_client):
            raise ImportError_(
                f"line {number}: for client {entry.client!r}, not {only_client!r} (--client)"
            )
        parsed.append(entry)
    return parsed


def to_advice(line: ImportLine, client_id: str, now: datetime) -> Advice:
    return Advice(
        client_id=line.client or client_id,
        question=redact(line.question),
        answer=redact(line.answer),
        source=line.source,
        author=line.author,
        mentee_name=line.mentee,
        tags=" ".join(line.tags),
        feedback=line.feedback,
        created_at=line.created_at or now,
    )


def same_advice(advice: Advice) -> tuple[str, str, str, datetime]:
    """What makes two entries one piece of advice, so importing an export twice adds nothing."""
    return advice.client_id, advice.question, advice.answer, advice.created_at.astimezone(UTC)


def only_new(entries: Iterable[Advice], present: Iterable[Advice]) -> list[Advice]:
    """The entries neither present already nor repeated earlier in the same import."""
    seen = {same_advice(a) for a in present}
    fresh = []
    for entry in entries:
        if same_advice(entry) not in seen:
            seen.add(same_advice(entry))
            fresh.append(entry)
    return fresh


def _row(advice: Advice) -> dict[str, str]:
    return {
        "id": str(advice.id),
        "client": advice.client_id,
        "created_at": advice.created_at.isoformat(),
        "question": advice.question,
        "answer": advice.answer,
        "source": str(advice.source),
        "author": advice.author,
        "mentee": advice.mentee_name or "",
        "tags": advice.tags,
        "feedback": str(advice.feedback or ""),
        "sources": advice.sources,
    }


def export(rows: Iterable[Advice], fmt: str) -> str:
    """The rows as `jsonl`, `csv` or `md` text."""
    records = [_row(r) for r in rows]
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        return to_csv(records, EXPORT_FIELDS)
    if fmt == "md":
        parts = ["# Advice log\n"]
        for r in records:
            parts.append(
                f"## {r['question']}\n\n*{r['created_at'][:10]} · {r['client']} · "
                f"asked by {r['mentee'] or '—'} · answered by {r['author']} ({r['source']})"
                f"{' · ' + r['feedback'] if r['feedback'] else ''}*\n\n{r['answer']}\n"
            )
        return "\n".join(parts)
    raise ValueError(f"unknown format {fmt!r}")
