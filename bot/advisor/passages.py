"""A retrieved passage and how it is cited to users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Passage:
    """One source an answer may rest on: a playbook entry or a past piece of advice."""

    id: str
    kind: Literal["playbook", "advice"]
    title: str
    text: str
    source: str
    author: str | None = None
    created_at: datetime | None = None
    feedback: str | None = None
    score: float = 0.0
    stale: str = ""  # why this advice may be out of date ("superseded by …", "from 2024-01-02")

    @property
    def row_id(self) -> str:
        return self.id.split(":", 1)[1]

    def sections(self) -> list[str]:
        """The text cut at its `## ` headings: a playbook entry's parts (advice has one)."""
        return self.text.split("\n## ")

    def citation(self) -> str:
        """How a reader sees where advice came from: topic, or who gave it and when."""
        if self.kind == "playbook":
            return f"Playbook: {self.title}"
        who = {"caio": f"{self.author} (CAIO)", "ai": "AI draft", "import": f"{self.author}"}
        when = f" on {self.created_at:%Y-%m-%d}" if self.created_at else ""
        helped = " · marked helpful" if self.feedback == "helpful" else ""
        stale = f" · ⚠ {self.stale}" if self.stale else ""
        return f"Advice from {who.get(self.source, self.author)}{when}{helped}{stale}"
