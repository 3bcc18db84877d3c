"""Where nearest-entry queries are answered: a matrix per client in this process, or
pgvector in PostgreSQL where it is enabled (`bot.db.pgvector`). Both read the same stored
vectors and answer alike: an entry scores its best piece, by inner product (cosine, as
vectors are unit length)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import pgvector
from bot.db.models_embedding import Embedding

log = structlog.get_logger(__name__)


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def best_per_entry(scored: Iterable[tuple[int, float]], k: int) -> list[tuple[int, float]]:
    """The first `k` distinct entries of pieces scored best first."""
    best: dict[int, float] = {}
    for ref_id, score in scored:
        best.setdefault(ref_id, score)
        if len(best) == k:
            break
    return list(best.items())


class VectorStore(Protocol):
    async def nearest(
        self,
        session: AsyncSession,
        client_id: str,
        model: str,
        query: np.ndarray,
        kind: str,
        k: int,
    ) -> list[tuple[int, float]]:
        """Row ids of `kind` nearest to `query`, with their similarity, best first."""
        ...


@dataclass
class _Matrix:
    """The vectors of one kind of entry: rows grow by doubling, so adding one never copies
    the lot, and a re-embedded piece overwrites its row in place."""

    refs: list[int] = field(default_factory=list)
    rows: dict[tuple[int, int], int] = field(default_factory=dict)
    data: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    size: int = 0

    def put(self, ref_id: int, chunk: int, vector: np.ndarray) -> None:
        slot = self.rows.get((ref_id, chunk))
        if slot is None:
            if self.size == len(self.data):
                grown = np.zeros((max(64, 2 * self.size), len(vector)), dtype=np.float32)
                if self.size:
                    grown[: self.size] = self.data[: self.size]
                self.data = grown
            slot = self.size
            self.size += 1
            self.refs.append(ref_id)
            self.rows[(ref_id, chunk)] = slot
        self.data[slot] = vector

    def top(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The best `k` entries: one matrix-vector product and a partial sort, O(n·d + n)."""
        if self.size == 0:
            return []
        scores = self.data[: self.size] @ query
        wanted = min(self.size, 4 * k)
        head = np.argpartition(-scores, wanted - 1)[:wanted]
        ordered = head[np.argsort(-scores[head])]
        return best_per_entry(((self.refs[i], float(scores[i])) for i in ordered), k)


@dataclass
class _Loaded:
    """One client's vectors for one model, by entry kind and length: an endpoint that
    changed its vectors' length under the same model name leaves rows of both, and only
    the query's length can be compared (pgvector's query filters on `dim` alike)."""

    matrices: dict[tuple[str, int], _Matrix] = field(default_factory=dict)
    last_id: int = 0
    warned: bool = False


class MemoryStore:
    """Each process holds a matrix per client (the shipped playbook plus that client's own
    entries), topped up by row id before each query. An exact scan costs O(n·d) and
    4·n·d bytes a client: 1.5 GiB per process for a million 384-d vectors."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], _Loaded] = {}

    async def nearest(
        self,
        session: AsyncSession,
        client_id: str,
        model: str,
        query: np.ndarray,
        kind: str,
        k: int,
    ) -> list[tuple[int, float]]:
        loaded = self._clients.setdefault((client_id, model), _Loaded())
        rows = await session.exec(
            select(Embedding)
            .where(
                col(Embedding.client_id).in_(["", client_id]),
                Embedding.model == model,
                col(Embedding.id) > loaded.last_id,
            )
            .order_by(col(Embedding.id))
        )
        for row in rows:
            loaded.last_id = max(loaded.last_id, row.id or 0)
            if not row.vector:  # moved into pgvector, enabled after this process started
                continue
            vector = from_blob(row.vector)
            loaded.matrices.setdefault((row.kind, len(vector)), _Matrix()).put(
                row.ref_id, row.chunk, vector
            )
        others = {dim for kind_, dim in loaded.matrices if kind_ == kind and dim != len(query)}
        if others and not loaded.warned:
            loaded.warned = True
            log.warning(
                "stored vectors have another length than the endpoint's now; "
                "run `caio-bot index rebuild`",
                model=model,
                stored=sorted(others),
                endpoint=len(query),
            )
        wanted = loaded.matrices.get((kind, len(query)))
        return wanted.top(query, k) if wanted is not None else []


class PgVectorStore:
    """Exact inner-product scans in PostgreSQL: a process holds nothing, and the client's
    and model's rows are found by the `(client_id, model, id)` index. Exact rather than
    HNSW, since every search is filtered to one client (docs/retrieval.md)."""

    async def nearest(
        self,
        session: AsyncSession,
        client_id: str,
        model: str,
        query: np.ndarray,
        kind: str,
        k: int,
    ) -> list[tuple[int, float]]:
        scored = await pgvector.nearest(session, client_id, model, query, kind, 4 * k)
        return best_per_entry(scored, k)


async def choose_store(session: AsyncSession) -> VectorStore:
    """pgvector where this database has it enabled, the in-process matrix otherwise."""
    return PgVectorStore() if await pgvector.in_use(session) else MemoryStore()
