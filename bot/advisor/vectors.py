"""Embedding what has no vector yet, and asking a store for the nearest entries.

Both databases keep each vector as a float32 blob in the `embedding` table. Searching it is
the store's job (`bot.advisor.vector_stores`): pgvector where PostgreSQL has it enabled, an
in-process matrix otherwise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import structlog
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.advisor.embeddings import Embedder, text_hash
from bot.advisor.vector_stores import VectorStore, choose_store, to_blob
from bot.clock import Clock
from bot.db.models import Advice, PlaybookEntry
from bot.db.models_embedding import Embedding

log = structlog.get_logger(__name__)

ENTRY_CHARS = 1500
CATCH_UP = 64  # advice rows embedded on the ask path at most; `index rebuild` does the rest
QUERY_CACHE = 512

Progress = Callable[[int], None]


def playbook_texts(entry: PlaybookEntry) -> list[str]:
    """An entry as embedded: title, tags and the opening of the body, in one piece.

    Splitting entries into `##` sections (several vectors, best one counts) was measured and
    did worse with all-MiniLM-L6-v2 (docs/retrieval.md); the `chunk` column keeps the option.
    """
    return [f"{entry.title}. {entry.tags.replace('-', ' ')}\n{entry.body}"[:ENTRY_CHARS]]


def advice_text(row: Advice) -> str:
    """Advice is found by what was asked (question-to-question similarity, as FAQ search does);
    the answer's words are the full-text index's job."""
    return row.question


@dataclass
class _Marks:
    """How far this process has made sure one client's entries have vectors."""

    advice_mark: int = 0
    playbook_checked: bool = False


class VectorIndex:
    """Embeds what is missing and answers nearest-entry queries through the store this
    database calls for. The embedding model's name scopes everything: other models' rows
    are ignored."""

    def __init__(self, embedder: Embedder, clock: Clock) -> None:
        self.embedder = embedder
        self.clock = clock
        self.model = embedder.model
        self._clients: dict[str, _Marks] = {}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._store: VectorStore | None = None

    async def embed_query(self, text: str) -> np.ndarray:
        """The question's vector, computed once: its advice entry reuses it when logged."""
        return (await self.embed_queries([text]))[0]

    async def embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Vectors for several questions, the ones not seen before in one request (comparing
        a question with every open escalation must not cost a round trip each)."""
        keys = [text_hash(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._queries}
        if missing:
            fresh = await self.embedder.embed(list(missing.values()))
            for key, vector in zip(missing, fresh, strict=True):
                self._queries[key] = vector
        found = [self._queries[k] for k in keys]
        while len(self._queries) > QUERY_CACHE:
            self._queries.popitem(last=False)
        return found

    async def search(
        self, session: AsyncSession, client_id: str, query: np.ndarray, kind: str, k: int = 20
    ) -> list[tuple[int, float]]:
        """Row ids of `kind` nearest to `query`, with cosine similarity, best first."""
        await self._embed_missing(session, client_id)
        if self._store is None:
            self._store = await choose_store(session)
        return await self._store.nearest(session, client_id, self.model, query, kind, k)

    async def _embed_missing(self, session: AsyncSession, client_id: str) -> None:
        """Embed the playbook if it changed (once per process) and the client's advice that
        has no vector yet."""
        marks = self._clients.setdefault(client_id, _Marks())
        if not marks.playbook_checked:
            await self._warn_on_other_models(session)
            await self.index_playbook(session, client_id)
            marks.playbook_checked = True
        await self._catch_up_advice(session, client_id, marks)

    async def _warn_on_other_models(self, session: AsyncSession) -> None:
        others = {m: n for m, n in (await stored_models(session)).items() if m != self.model}
        if others:
            log.warning(
                "embeddings of another model found; run `caio-bot index rebuild`",
                configured=self.model,
                stored=others,
            )

    async def index_playbook(
        self, session: AsyncSession, client_id: str | None = None, progress: Progress | None = None
    ) -> int:
        """Embed playbook entries whose text changed or that have no vector for this model."""
        query = select(PlaybookEntry)
        if client_id is not None:
            query = query.where(col(PlaybookEntry.client_id).in_(["", client_id]))
        entries = list(await session.exec(query))
        known = {
            (r.ref_id, r.chunk): r.text_hash
            for r in await session.exec(
                select(Embedding).where(Embedding.kind == "playbook", Embedding.model == self.model)
            )
        }
        todo: list[tuple[PlaybookEntry, list[str]]] = []
        for entry in entries:
            pieces = playbook_texts(entry)
            current = {(entry.id or 0, i): text_hash(t) for i, t in enumerate(pieces)}
            stored = {key: h for key, h in known.items() if key[0] == entry.id}
            if current != stored:
                todo.append((entry, pieces))
        vectors = iter(await self.embedder.embed([p for _, pieces in todo for p in pieces]))
        for entry, pieces in todo:
            await session.exec(
                delete(Embedding).where(
                    col(Embedding.kind) == "playbook",
                    col(Embedding.ref_id) == entry.id,
                    col(Embedding.model) == self.model,
                )
            )
            for chunk, piece in enumerate(pieces):
                row = self._row(
                    entry.client_id, "playbook", entry.id or 0, chunk, piece, next(vectors)
                )
                session.add(row)
            if progress is not None:
                progress(1)
        await session.commit()
        return len(todo)

    async def index_advice(
        self,
        session: AsyncSession,
        rows: Sequence[Advice],
        progress: Progress | None = None,
    ) -> int:
        """Embed advice rows (reusing a question's vector when the text matches)."""
        done = 0
        for start in range(0, len(rows), 64):
            batch = list(rows[start : start + 64])
            texts = [advice_text(r) for r in batch]
            cached = [self._queries.get(text_hash(t)) for t in texts]
            missing = [t for t, v in zip(texts, cached, strict=True) if v is None]
            fresh = iter(await self.embedder.embed(missing)) if missing else iter(())
            for row, text, vector in zip(batch, texts, cached, strict=True):
                vec = vector if vector is not None else next(fresh)
                await session.exec(
                    delete(Embedding).where(
                        col(Embedding.kind) == "advice",
                        col(Embedding.ref_id) == row.id,
                        col(Embedding.model) == self.model,
                    )
                )
                session.add(self._row(row.client_id, "advice", row.id or 0, 0, text, vec))
            await session.commit()
            done += len(batch)
            if progress is not None:
                progress(len(batch))
        return done

    async def _catch_up_advice(self, session: AsyncSession, client_id: str, marks: _Marks) -> None:
        """Embed the client's advice that has no vector for this model yet, oldest first.

        Only rows without one: with several processes, the one that logged an answer has
        usually embedded it already (reusing the question's vector), and embedding it again
        elsewhere would pay the endpoint once per process for the same text."""
        if marks.advice_mark == 0:
            mark = await session.exec(
                select(func.max(Embedding.ref_id)).where(
                    Embedding.client_id == client_id,
                    Embedding.kind == "advice",
                    Embedding.model == self.model,
                )
            )
            marks.advice_mark = mark.one() or 0
        top = (
            await session.exec(select(func.max(Advice.id)).where(Advice.client_id == client_id))
        ).one() or 0
        embedded = (
            select(Embedding.id)
            .where(
                Embedding.kind == "advice",
                Embedding.model == self.model,
                col(Embedding.ref_id) == col(Advice.id),
            )
            .exists()
        )
        missing = list(
            await session.exec(
                select(Advice)
                .where(
                    Advice.client_id == client_id,
                    col(Advice.id) > marks.advice_mark,
                    col(Advice.id) <= top,
                    ~embedded,
                )
                .order_by(col(Advice.id))
                .limit(CATCH_UP)
            )
        )
        # Past this, everything up to `top` has a vector, unless more than one batch was due.
        reached = (missing[-1].id or top) if len(missing) == CATCH_UP else top
        if missing:
            try:
                await self.index_advice(session, missing)
            except IntegrityError:
                # Another process embedded the same rows first: theirs are as good as ours.
                await session.rollback()
        marks.advice_mark = reached

    def _row(
        self, client_id: str, kind: str, ref_id: int, chunk: int, text: str, vector: np.ndarray
    ) -> Embedding:
        return Embedding(
            client_id=client_id,
            kind=kind,
            ref_id=ref_id,
            chunk=chunk,
            model=self.model,
            dim=len(vector),
            text_hash=text_hash(text),
            vector=to_blob(vector),
            created_at=self.clock.now(),
        )


async def stored_models(session: AsyncSession) -> dict[str, int]:
    """How many vectors each model has made: more than one model means a rebuild is due."""
    rows = await session.exec(select(Embedding.model, func.count()).group_by(col(Embedding.model)))
    return {model: count for model, count in rows}
