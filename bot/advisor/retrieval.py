"""Finding what the CAIO has already said: playbook entries and the client's advice log.

Each source is ranked by the database's full-text engine; the lists are merged with
reciprocal rank fusion, then passages that share too little with the question are dropped
so that the bot says "I don't know" instead of citing noise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.advisor.passages import Passage
from bot.db import fulltext
from bot.db.models import Advice, Feedback, PlaybookEntry
from bot.text import stems, terms

_Row = TypeVar("_Row", Advice, PlaybookEntry)

RRF_K = 60
MIN_COVERAGE = 0.34
ASKED_BEFORE = 0.6


@dataclass(frozen=True)
class Retrieved:
    passages: list[Passage]
    asked_before: Passage | None


def advice_passage(row: Advice, score: float = 0.0) -> Passage:
    return Passage(
        id=f"advice:{row.id}",
        kind="advice",
        title=row.question,
        text=row.answer,
        source=row.source,
        author=row.author,
        created_at=row.created_at,
        feedback=row.feedback,
        score=score,
    )


def playbook_passage(row: PlaybookEntry, score: float = 0.0) -> Passage:
    return Passage(
        id=f"playbook:{row.slug}",
        kind="playbook",
        title=row.title,
        text=row.body,
        source="playbook",
        score=score,
    )


def coverage(question_stems: set[str], passage: Passage) -> float:
    """The share of the question's content words that the passage mentions."""
    if not question_stems:
        return 0.0
    found = stems(f"{passage.title} {passage.text}")
    return len(question_stems & found) / len(question_stems)


def similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def fuse(*ranked: list[Passage]) -> list[Passage]:
    """Reciprocal rank fusion: robust to lists whose scores are not comparable."""
    scores: dict[str, float] = {}
    by_id: dict[str, Passage] = {}
    for ranking in ranked:
        for rank, passage in enumerate(ranking):
            scores[passage.id] = scores.get(passage.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            by_id.setdefault(passage.id, passage)
    order = sorted(scores, key=lambda pid: scores[pid], reverse=True)
    return [replace(by_id[pid], score=scores[pid]) for pid in order]


class Retriever:
    """Full-text retrieval, scoped to one client (the shipped playbook is shared)."""

    async def search(
        self, session: AsyncSession, client_id: str, question: str, limit: int = 5
    ) -> Retrieved:
        words = terms(question)
        playbook = await self._playbook(session, client_id, words)
        advice = await self._advice(session, client_id, words)
        wanted = stems(question)
        min_cover = MIN_COVERAGE if len(wanted) > 1 else 1.0
        relevant = [p for p in fuse(playbook, advice) if coverage(wanted, p) >= min_cover]
        return Retrieved(relevant[:limit], self._asked_before(wanted, advice))

    async def _playbook(
        self, session: AsyncSession, client_id: str, words: list[str]
    ) -> list[Passage]:
        hits = await fulltext.search_playbook(session, client_id, words)
        rows = await _load(session, PlaybookEntry, [i for i, _ in hits])
        # A client's own entry replaces the shipped one with the same slug.
        by_slug: dict[str, PlaybookEntry] = {}
        for row in rows:
            if row.slug not in by_slug or row.client_id:
                by_slug[row.slug] = row
        chosen = {id(r) for r in by_slug.values()}
        scores = dict(hits)
        return [playbook_passage(r, scores[r.id or 0]) for r in rows if id(r) in chosen and r.id]

    async def _advice(
        self, session: AsyncSession, client_id: str, words: list[str]
    ) -> list[Passage]:
        hits = await fulltext.search_advice(session, client_id, words)
        rows = await _load(session, Advice, [i for i, _ in hits])
        scores = dict(hits)
        return [advice_passage(r, scores[r.id or 0]) for r in rows if r.id]

    def _asked_before(self, wanted: set[str], advice: list[Passage]) -> Passage | None:
        """An earlier answer to (nearly) the same question, the CAIO's first."""
        candidates = [
            p
            for p in advice
            if p.feedback != Feedback.NOT_HELPFUL
            and similarity(wanted, stems(p.title)) >= ASKED_BEFORE
        ]
        candidates.sort(key=lambda p: (p.source != "caio", -p.score))
        return candidates[0] if candidates else None


async def _load(session: AsyncSession, model: type[_Row], ids: list[int]) -> list[_Row]:
    """Rows in the order of `ids` (the ranking), in one query."""
    if not ids:
        return []
    rows = await session.exec(select(model).where(col(model.id).in_(ids)))
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]
