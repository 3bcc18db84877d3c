"""Finding what the CAIO has already said: playbook entries and the client's advice log.

Every source is ranked up to two ways and the rankings are merged by relative score fusion
(each ranking's scores scaled to 0..1, then summed; measured against RRF in docs/retrieval.md):
- the database's full-text engine (FTS5 porter / PostgreSQL `english`) on the question's
  content words plus the field's synonyms (config/synonyms.toml);
- with an embedding endpoint, cosine similarity of the question to each entry.
Since fusion scores each source's best alike, passages are then ordered by that score plus
how well each matches on a scale both sources share (words its best section names, or its
cosine).
A passage is kept only if it covers enough of the question (synonyms count) or is close
enough in meaning, so the bot says "I don't know" instead of citing noise. The CAIO's
answers rank above imports and AI drafts, and old or superseded advice is marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, TypeVar

import numpy as np
import structlog
from openai import APIError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.advisor.embeddings import EmbeddingError
from bot.advisor.offline import EXTRACTIVE
from bot.advisor.passages import Passage
from bot.advisor.synonyms import Phrase, SynonymMap, default_synonyms, tokens
from bot.advisor.vectors import VectorIndex
from bot.db import fulltext
from bot.db.models import Advice, AdviceSource, Feedback, PlaybookEntry
from bot.db.models_embedding import RetrievalPolicy
from bot.text import stem, stems, terms

log = structlog.get_logger(__name__)

_Row = TypeVar("_Row", Advice, PlaybookEntry)
Method = Literal["bm25", "offline", "hybrid"]

# An embedding endpoint that failed (after the client's retries) or answered with no usable
# vectors: the search goes on with full text alone.
ENDPOINT_ERRORS = (APIError, EmbeddingError)

# A passage counts as relevant by its words when it covers this share of the question's
# content words. Where vectors judge meaning too, words must cover half the question and
# at least two words: one shared word is chance ("the meaning of life" meets "mean
# reciprocal rank"), and the cosine vouches for a short question's real matches. Without
# vectors one of two words must do ("cursor safety" meets "coding assistants safely" only
# on "cursor"). Calibrated on answerable and unanswerable questions (docs/retrieval.md).
MIN_COVERAGE = 0.34
MIN_COVERAGE_WITH_VECTORS = 0.5
ASKED_BEFORE = 0.6
HEAD = 3
# Vector hits are nudged by source before fusion, as the full-text SQL does with its weights.
VECTOR_SOURCE_WEIGHT = {"caio": 1.0, "import": 0.97, "ai": 0.94}


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


def similarity(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def fuse(*ranked: list[Passage]) -> list[Passage]:
    """Relative score fusion: each list's scores divided by its best (so 0..1), then summed.

    Unlike reciprocal rank fusion it keeps how much better the best hit is, so one strong
    match in a single list is not outvoted by entries that are mediocre in every list; on
    the golden set it beat RRF and min-max scaling (docs/retrieval.md). Equal scores keep
    the order the rankings were given in.
    """
    scores: dict[str, float] = {}
    by_id: dict[str, Passage] = {}
    for ranking in ranked:
        if not ranking:
            continue
        high = max(p.score for p in ranking)
        for passage in ranking:
            scaled = max(passage.score, 0.0) / high if high > 0 else 1.0
            scores[passage.id] = scores.get(passage.id, 0.0) + scaled
            by_id.setdefault(passage.id, passage)
    order = sorted(scores, key=lambda pid: scores[pid], reverse=True)
    return [replace(by_id[pid], score=scores[pid]) for pid in order]


def citable(passage: Passage) -> bool:
    """An AI draft grounds later answers only once someone marked it helpful: unrated model
    output must not become a source for more model output. An extractive draft (the
    offline advisor's) never does: it only quotes its sources, which are searched
    themselves, and citing it quoted its preamble and its own [n] markers. The full-text
    prefilter (`bot.db.fulltext._CITABLE`) applies the same rule except the last part."""
    if passage.kind != "advice" or passage.source != AdviceSource.AI:
        return True
    return passage.feedback == Feedback.HELPFUL and passage.author != EXTRACTIVE


def fts_terms(phrases: Sequence[Phrase], dialect: str) -> list[str]:
    """Query items for `bot.db.fulltext`: a phrase becomes FTS5 "a b" or tsquery a <-> b."""
    joiner = " " if dialect == "sqlite" else " <-> "
    return [joiner.join(p) for p in phrases]


@dataclass(frozen=True)
class _Query:
    """A question prepared once for every ranking that needs it."""

    text: str
    words: list[str]
    synonyms: list[str]
    wanted: frozenset[str]
    alternatives: dict[str, list[set[str]]]
    vector: np.ndarray | None


class Retriever:
    """Hybrid retrieval scoped to one client (the shipped playbook is shared by all)."""

    def __init__(
        self,
        *,
        synonyms: SynonymMap | None = None,
        vectors: VectorIndex | None = None,
        min_similarity: float = 0.2,
        duplicate_similarity: float = 0.83,
        stale_after_days: int = 365,
    ) -> None:
        self.synonyms = synonyms or default_synonyms()
        self.vectors = vectors
        self.min_similarity = min_similarity
        self.duplicate_similarity = duplicate_similarity
        self.stale_after_days = stale_after_days

    @property
    def method(self) -> Method:
        return "hybrid" if self.vectors is not None else "offline"

    async def search(
        self,
        session: AsyncSession,
        client_id: str,
        question: str,
        limit: int = 5,
        *,
        now: datetime | None = None,
        method: Method | None = None,
    ) -> Retrieved:
        """The passages worth citing, best first, and an earlier answer to the same question."""
        method = method or self.method
        query = await self._prepare(session, client_id, question, method)
        playbook, advice, cosines = await self._rankings(session, client_id, query)
        # Each source's best match scores alike after fusion. Plain BM25 (the baseline
        # `caio-bot eval` compares against) leaves it at that, the team's answer first on a
        # tie; the other methods then order by how well each passage matches (`_by_focus`).
        if method == "bm25":
            return Retrieved(fuse(*advice, *playbook)[:limit], None)
        ranked = self._by_focus(query, fuse(*advice, *playbook), cosines)
        passing = [
            p
            for p in ranked
            if self._covers(query, p, strict=bool(cosines))
            or cosines.get(p.id, 0.0) >= self.min_similarity
        ]
        # Once something clears the bar the question is answerable, and the ranking's head is
        # kept even where a paraphrase shares few words with it (measured: docs/retrieval.md).
        head = ranked[:HEAD] if passing else []
        relevant = [p for p in head + [p for p in passing if p not in head] if citable(p)]
        relevant = await self._mark_stale(session, client_id, relevant[:limit], now)
        advice_hits = await self._mark_stale(session, client_id, fuse(*advice), now)
        return Retrieved(relevant, self._asked_before(query, advice_hits, cosines))

    async def _prepare(
        self, session: AsyncSession, client_id: str, question: str, method: Method
    ) -> _Query:
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        if method == "bm25":
            raw = list(dict.fromkeys(tokens(question)))
            return _Query(question, raw, [], frozenset(), {}, None)
        words = terms(question)
        extra = fts_terms(self.synonyms.expand(question), dialect)
        wanted = stems(question)
        alternatives = {s: self._alternatives(s) for s in wanted}
        vector = None
        if method == "hybrid" and self.vectors is not None:
            try:
                vector = await self.vectors.embed_query(question)
            except ENDPOINT_ERRORS as exc:
                log.warning("embedding endpoint failed, searching full text only", error=str(exc))
        return _Query(question, words, extra, wanted, alternatives, vector)

    def _alternatives(self, word_stem: str) -> list[set[str]]:
        """Synonym phrases (as stem sets) that stand in for a question word when covering."""
        found: list[set[str]] = []
        for group in self.synonyms.groups:
            if any(len(p) == 1 and stem(p[0]) == word_stem for p in group):
                found += [{stem(w) for w in p} for p in group]
        return found

    @staticmethod
    def _covered(query: _Query, text: str) -> int:
        """How many of the question's content words the text names (a synonym counts)."""
        found = stems(text)
        return sum(
            1
            for s in query.wanted
            if s in found or any(alt <= found for alt in query.alternatives.get(s, []))
        )

    def _covers(self, query: _Query, passage: Passage, *, strict: bool) -> bool:
        """Does the passage mention enough of the question's content words (or synonyms)?
        `strict` where vectors also judge: half the words, two at least."""
        if not query.wanted:
            return False
        covered = self._covered(query, f"{passage.title} {passage.text}")
        if len(query.wanted) == 1:
            return covered == 1
        if strict:
            return covered >= 2 and covered / len(query.wanted) >= MIN_COVERAGE_WITH_VECTORS
        return covered / len(query.wanted) >= MIN_COVERAGE

    def _by_focus(
        self, query: _Query, fused: list[Passage], cosines: dict[str, float]
    ) -> list[Passage]:
        """The fused ranking reordered by fused score plus absolute match: the share of the
        question that a passage's best section names (with the title), or its cosine.

        Fusion scales every ranking by its own best, so each source's best match scores
        alike however weakly it matches: a past answer sharing one word with the question
        was cited above the playbook entry that answers it. Words covered and cosine are on
        one scale for both sources; judging a section rather than the whole passage keeps a
        600-word playbook entry from covering more by length alone than a 60-word answer,
        and the cosine keeps a paraphrase sharing no word from being buried
        (docs/retrieval.md). Equal sums keep the fused order.

        Passages keep their fused score: the offline answer quotes a further source only if
        it scored half the best's (`bot.advisor.service.SECONDARY_FLOOR`), and a match
        added to every on-topic passage would let nearly all of them through."""
        if not query.wanted:
            return fused

        def focus(passage: Passage) -> float:
            best = max(
                self._covered(query, f"{passage.title} {section}") for section in passage.sections()
            )
            return max(best / len(query.wanted), cosines.get(passage.id, 0.0))

        return sorted(fused, key=lambda p: -(p.score + focus(p)))

    async def _rankings(
        self, session: AsyncSession, client_id: str, query: _Query
    ) -> tuple[list[list[Passage]], list[list[Passage]], dict[str, float]]:
        # One query per source over the words and their synonyms: fusing in a words-only
        # ranking was measured to lose (docs/retrieval.md).
        playbook = [await self._playbook(session, client_id, query)]
        advice = [await self._advice(session, client_id, query)]
        cosines: dict[str, float] = {}
        if query.vector is not None and self.vectors is not None:
            try:
                near_playbook, near_advice, advice_cosines = await self._nearest(
                    session, client_id, query.vector
                )
            except ENDPOINT_ERRORS as exc:
                log.warning("embedding the index failed, searching full text only", error=str(exc))
            else:
                cosines = {p.id: p.score for p in near_playbook} | advice_cosines
                playbook.append(near_playbook)
                advice.append(near_advice)
        return playbook, advice, cosines

    async def _nearest(
        self, session: AsyncSession, client_id: str, vector: np.ndarray
    ) -> tuple[list[Passage], list[Passage], dict[str, float]]:
        """Nearest playbook entries and advice (its score nudged by source), raw cosines."""
        assert self.vectors is not None
        book_hits = await self.vectors.search(session, client_id, vector, "playbook")
        book = await self._playbook_rows(session, book_hits)
        advice_hits = await self.vectors.search(session, client_id, vector, "advice")
        rows = await _load(session, Advice, [i for i, _ in advice_hits])
        scores = dict(advice_hits)
        advice = [
            advice_passage(r, scores[r.id or 0] * VECTOR_SOURCE_WEIGHT.get(r.source, 1.0))
            for r in rows
            if r.id
        ]
        advice.sort(key=lambda p: -p.score)
        return book, advice, {f"advice:{i}": c for i, c in advice_hits}

    async def _playbook(
        self, session: AsyncSession, client_id: str, query: _Query
    ) -> list[Passage]:
        hits = await fulltext.search_playbook(
            session, client_id, query.words, synonyms=query.synonyms
        )
        return await self._playbook_rows(session, hits)

    async def _playbook_rows(
        self, session: AsyncSession, hits: list[tuple[int, float]]
    ) -> list[Passage]:
        rows = await _load(session, PlaybookEntry, [i for i, _ in hits])
        # A client's own entry replaces the shipped one with the same slug.
        by_slug: dict[str, PlaybookEntry] = {}
        for row in rows:
            if row.slug not in by_slug or row.client_id:
                by_slug[row.slug] = row
        chosen = {id(r) for r in by_slug.values()}
        scores = dict(hits)
        return [playbook_passage(r, scores[r.id or 0]) for r in rows if id(r) in chosen and r.id]

    async def _advice(self, session: AsyncSession, client_id: str, query: _Query) -> list[Passage]:
        words = query.words + query.synonyms
        hits = await fulltext.search_advice(session, client_id, words, citable_only=True)
        rows = await _load(session, Advice, [i for i, _ in hits])
        scores = dict(hits)
        return [advice_passage(r, scores[r.id or 0]) for r in rows if r.id]

    async def _mark_stale(
        self,
        session: AsyncSession,
        client_id: str,
        passages: list[Passage],
        now: datetime | None,
    ) -> list[Passage]:
        """Mark advice a newer CAIO answer replaced, or older than the client's horizon."""
        advice_ids = [int(p.row_id) for p in passages if p.kind == "advice"]
        if not advice_ids:
            return passages
        rows = {r.id: r for r in await _load(session, Advice, advice_ids)}
        questions = {r.question_id for r in rows.values() if r.question_id is not None}
        newer = list(
            await session.exec(
                select(Advice).where(
                    Advice.client_id == client_id,
                    Advice.source == AdviceSource.CAIO,
                    col(Advice.question_id).in_(questions)
                    | col(Advice.question).in_([r.question for r in rows.values()]),
                )
            )
        )
        policy = await session.get(RetrievalPolicy, client_id)
        horizon = timedelta(days=policy.stale_after_days if policy else self.stale_after_days)
        marked: list[Passage] = []
        for passage in passages:
            row = rows.get(int(passage.row_id)) if passage.kind == "advice" else None
            if row is None:
                marked.append(passage)
                continue
            later = [
                n
                for n in newer
                if (n.created_at, n.id or 0) > (row.created_at, row.id or 0)
                and (
                    (row.question_id is not None and n.question_id == row.question_id)
                    or n.question.strip().lower() == row.question.strip().lower()
                )
            ]
            if later:
                by = later[-1]
                note = f"superseded by {by.author}'s answer of {by.created_at:%Y-%m-%d}"
            elif now is not None and now - row.created_at > horizon:
                note = f"may be stale: older than {horizon.days} days"
            else:
                note = ""
            marked.append(replace(passage, stale=note))
        return marked

    async def duplicate_of(self, question: str, earlier: list[tuple[int, str]]) -> int | None:
        """The id of the earlier question (id, text) that asks the same thing, if any."""
        wanted = stems(question)
        for key, text in earlier:
            if similarity(wanted, stems(text)) >= ASKED_BEFORE:
                return key
        if self.vectors is None or not earlier:
            return None
        try:
            mine, *theirs = await self.vectors.embed_queries([question, *(t for _, t in earlier)])
        except ENDPOINT_ERRORS as exc:
            log.warning("embedding endpoint failed, comparing words only", error=str(exc))
            return None
        best = max((float(v @ mine), key) for (key, _), v in zip(earlier, theirs, strict=True))
        return best[1] if best[0] >= self.duplicate_similarity else None

    def _asked_before(
        self, query: _Query, advice: list[Passage], cosines: dict[str, float]
    ) -> Passage | None:
        """An earlier answer to (nearly) the same question, the CAIO's first."""
        candidates = [
            p
            for p in advice
            if p.feedback != Feedback.NOT_HELPFUL
            and not p.stale.startswith("superseded")
            and (
                similarity(query.wanted, stems(p.title)) >= ASKED_BEFORE
                or cosines.get(p.id, 0.0) >= self.duplicate_similarity
            )
        ]
        candidates.sort(key=lambda p: (p.source != AdviceSource.CAIO, -p.score))
        return candidates[0] if candidates else None


async def _load(session: AsyncSession, model: type[_Row], ids: list[int]) -> list[_Row]:
    """Rows in the order of `ids` (the ranking), in one query."""
    if not ids:
        return []
    rows = await session.exec(select(model).where(col(model.id).in_(ids)))
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def load_passages(session: AsyncSession, client_id: str, ids: list[str]) -> list[Passage]:
    """Passages by their ids (`playbook:<slug>`, `advice:<n>`), in that order, for re-posting
    a stored answer with its sources; ids of another client's advice are ignored."""
    slugs = [i.split(":", 1)[1] for i in ids if i.startswith("playbook:")]
    numbers = [int(i.split(":", 1)[1]) for i in ids if i.startswith("advice:") and i[7:].isdigit()]
    found: dict[str, Passage] = {}
    if slugs:
        rows = await session.exec(
            select(PlaybookEntry).where(
                col(PlaybookEntry.slug).in_(slugs),
                col(PlaybookEntry.client_id).in_(["", client_id]),
            )
        )
        for entry in sorted(rows, key=lambda r: bool(r.client_id)):
            found[f"playbook:{entry.slug}"] = playbook_passage(entry)
    for advice in await _load(session, Advice, numbers):
        if advice.client_id == client_id:
            found[f"advice:{advice.id}"] = advice_passage(advice)
    return [found[i] for i in ids if i in found]
