"""pgvector, where PostgreSQL has it, answers as the in-process index does, and finds
vectors stored before it was enabled. Skipped without a PostgreSQL that offers pgvector;
elsewhere, every hybrid retrieval test runs through it too."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from bot.advisor.vector_stores import MemoryStore, PgVectorStore, to_blob
from bot.clock import ManualClock
from bot.db import pgvector
from bot.db.engine import Database, sync_url
from bot.db.migrate import alembic_config, upgrade
from bot.db.models_embedding import Embedding
from bot.wiring import DEMO_CLIENT, bootstrap_console, build_bot, stop
from tests.advisor.conftest import EMBED_MODEL, concept_vectors
from tests.advisor.test_cli import run
from tests.advisor.test_retrieval import add_advice, embedded_texts, search_ids
from tests.conftest import START, make_settings, requires_pgvector
from tests.standins.openai_server import OpenAIStandIn

pytestmark = requires_pgvector


def _unsynced(url: str) -> int:
    engine = sa.create_engine(sync_url(url))
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM embedding WHERE vec IS NULL")).scalar()
    engine.dispose()
    return int(count or 0)


def _unit(rng: np.random.Generator, dim: int) -> np.ndarray:
    vector = rng.standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _stored(
    client: str, kind: str, ref_id: int, model: str, vector: np.ndarray, chunk: int = 0
) -> Embedding:
    """A vector as the bot stores it: the blob alone, `vec` left for the copy."""
    return Embedding(
        client_id=client,
        kind=kind,
        ref_id=ref_id,
        chunk=chunk,
        model=model,
        dim=len(vector),
        text_hash=f"{ref_id}.{chunk}",
        vector=to_blob(vector),
        created_at=START,
    )


async def test_pgvector_finds_what_the_in_process_index_finds(database_url: str) -> None:
    """Same entries, same order, same scores: the shipped playbook and the client's own,
    an entry scoring its best piece, other clients and models left out."""
    rng = np.random.default_rng(7)
    rows = []
    for ref_id in range(1, 301):
        client = ("", DEMO_CLIENT, "other")[ref_id % 3]
        kind = "playbook" if client == "" else "advice"
        for chunk in range(1 + ref_id % 2):
            rows.append((client, kind, ref_id, chunk, EMBED_MODEL, _unit(rng, 16)))
    rows.append((DEMO_CLIENT, "advice", 900, 0, "older-model", _unit(rng, 16)))
    db = Database(database_url)
    in_memory = MemoryStore()  # it reads the blobs before pgvector's first search moves them
    async with db.session() as session:
        for client, kind, ref_id, chunk, model, vector in rows:
            session.add(_stored(client, kind, ref_id, model, vector, chunk))
        await session.commit()
        for _ in range(5):
            query = _unit(rng, 16)
            for kind in ("playbook", "advice"):
                memory = await in_memory.nearest(session, DEMO_CLIENT, EMBED_MODEL, query, kind, 10)
                sql = await PgVectorStore().nearest(
                    session, DEMO_CLIENT, EMBED_MODEL, query, kind, 10
                )
                assert len(memory) == 10
                assert [r for r, _ in sql] == [r for r, _ in memory]
                assert [s for _, s in sql] == pytest.approx([s for _, s in memory], abs=1e-5)
                owners = {ref_id % 3 for ref_id, _ in sql}
                assert owners == ({0} if kind == "playbook" else {1})
    await db.close()
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as conn:
        moved = conn.execute(
            sa.text(
                "SELECT kind, ref_id, chunk, model, vector, vec::real[] FROM embedding "
                "WHERE vec IS NOT NULL"
            )
        ).all()
    engine.dispose()
    # Every piece of the playbook's and the client's own, any model, bit for bit, and once.
    stored = {(k, r, c, m): v for _, k, r, c, m, v in rows}
    assert len(moved) == len([r for r in rows if r[0] in ("", DEMO_CLIENT)])
    assert all(
        np.array_equal(stored[k, r, c, m], np.array(vec, np.float32))
        for k, r, c, m, _, vec in moved
    )
    assert all(blob == b"" for *_, blob, _ in moved), "no second copy in the blob"


@pytest.mark.filterwarnings("ignore:Did not recognize type 'vector'")
async def test_vectors_stored_before_pgvector_was_enabled_are_found(
    database_url: str, standin: OpenAIStandIn, clock: ManualClock
) -> None:
    """A database that upgrades to pgvector keeps its vectors: the upgrade copies them, and
    nothing is sent to the embedding endpoint again."""
    standin.embed = concept_vectors({"vector store": ["vector database", "numeric fingerprints"]})
    settings = make_settings(
        database_url, openai_base_url=standin.base_url, CAIO_EMBEDDING_MODEL=EMBED_MODEL
    )
    command.downgrade(alembic_config(database_url), "0010")
    try:
        before = build_bot(settings, clock=clock)
        await bootstrap_console(before)
        row = await add_advice(before, "Which vector database should we pick?", "pgvector.")
        await search_ids(before, "which vector database?")  # embeds the advice, in memory
        await stop(before)
    finally:
        upgrade(database_url)
    assert _unsynced(database_url) == 0

    after = build_bot(settings, clock=clock)
    found = await search_ids(after, "where do we keep numeric fingerprints of our docs?")
    await stop(after)
    assert found[:1] == [f"advice:{row.id}"]
    assert embedded_texts(standin).count("Which vector database should we pick?") == 1


@pytest.mark.filterwarnings("ignore:Did not recognize type 'vector'")
async def test_index_rebuild_turns_pgvector_on_when_it_was_installed_later(
    database_url: str, standin: OpenAIStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator installs pgvector after upgrading: `caio-bot index rebuild` starts using
    it and says so."""
    command.downgrade(alembic_config(database_url), "0010")
    command.stamp(alembic_config(database_url), "0011")  # as if 0011 ran without pgvector
    upgrade(database_url)  # and the revisions after it
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OPENAI_BASE_URL", standin.base_url)
    monkeypatch.setenv("CAIO_EMBEDDING_MODEL", EMBED_MODEL)
    result = await run("index", "rebuild")
    assert result.exit_code == 0, result.output
    assert "searched in pgvector" in result.output
    assert _unsynced(database_url) == 0
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM embedding")).scalar()
    engine.dispose()


async def test_a_search_does_not_wait_for_rows_another_process_is_copying(
    database_url: str,
) -> None:
    """Another process holds one new row while it copies it: this search goes on without
    it instead of stalling (or deadlocking), and finds it once that copy is committed."""
    rng = np.random.default_rng(11)
    db = Database(database_url)
    async with db.session() as session:
        for ref_id in (1, 2):
            vector = _unit(rng, 16)
            session.add(_stored(DEMO_CLIENT, "advice", ref_id, EMBED_MODEL, vector))
        await session.commit()
    other = sa.create_engine(sync_url(database_url))
    with other.connect() as conn:
        conn.execute(sa.text("SELECT id FROM embedding WHERE ref_id = 1 FOR UPDATE"))
        async with db.session() as session:
            found = await asyncio.wait_for(
                PgVectorStore().nearest(session, DEMO_CLIENT, EMBED_MODEL, vector, "advice", 5),
                timeout=30,  # a guard against hanging: without SKIP LOCKED this waits forever
            )
        assert [ref_id for ref_id, _ in found] == [2]
        assert pgvector.sync(conn, DEMO_CLIENT) == 1  # its copy goes on: row 1 only
        conn.commit()
    other.dispose()
    async with db.session() as session:
        found = await PgVectorStore().nearest(
            session, DEMO_CLIENT, EMBED_MODEL, vector, "advice", 5
        )
    await db.close()
    assert sorted(ref_id for ref_id, _ in found) == [1, 2]


def _copies(url: str) -> tuple[int, int]:
    """(rows holding their vector in the blob, rows holding it in `vec`)."""
    engine = sa.create_engine(sync_url(url))
    with engine.connect() as conn:
        vec = "count(vec)" if conn.execute(pgvector.HAS_COLUMN).first() else "0"
        blobs, vecs = conn.execute(
            sa.text(f"SELECT count(*) FILTER (WHERE length(vector) > 0), {vec} FROM embedding")
        ).one()
    engine.dispose()
    return int(blobs), int(vecs)


@pytest.mark.filterwarnings("ignore:Did not recognize type 'vector'")
async def test_each_vector_is_stored_once_and_a_downgrade_puts_the_blobs_back(
    database_url: str,
) -> None:
    """Where pgvector searches, a row keeps its vector in `vec` only; a database of the
    time before (both copies) loses the blob at the upgrade, and a downgrade puts every
    blob back, bit for bit, so the in-process index answers as pgvector did."""
    rng = np.random.default_rng(5)
    vectors = {ref_id: _unit(rng, 16) for ref_id in range(1, 41)}
    query = _unit(rng, 16)
    db = Database(database_url)
    async with db.session() as session:
        for ref_id, vector in vectors.items():
            session.add(_stored(DEMO_CLIENT, "advice", ref_id, EMBED_MODEL, vector))
        await session.commit()
        in_sql = await PgVectorStore().nearest(
            session, DEMO_CLIENT, EMBED_MODEL, query, "advice", 5
        )
    assert _copies(database_url) == (0, 40)

    config = alembic_config(database_url)
    try:
        command.downgrade(config, "0014")  # both copies, as revision 0011 left them
        assert _copies(database_url) == (40, 40)
        command.upgrade(config, "head")
        assert _copies(database_url) == (0, 40)

        command.downgrade(config, "0010")  # no pgvector: the blobs are all there is
        assert _copies(database_url) == (40, 0)
        async with db.session() as session:
            in_memory = await MemoryStore().nearest(
                session, DEMO_CLIENT, EMBED_MODEL, query, "advice", 5
            )
            stored = await session.exec(select(Embedding.ref_id, Embedding.vector))
            blobs = dict(stored.all())
    finally:
        upgrade(database_url)
        await db.close()
    assert [r for r, _ in in_memory] == [r for r, _ in in_sql]
    assert [s for _, s in in_memory] == pytest.approx([s for _, s in in_sql], abs=1e-5)
    assert all(np.array_equal(np.frombuffer(blobs[r], "<f4"), v) for r, v in vectors.items())
    assert _copies(database_url) == (0, 40), "upgraded again: one copy"
