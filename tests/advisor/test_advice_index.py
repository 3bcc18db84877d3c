"""The advice index at the size of a real practice: one index per client on SQLite, made on
the client's first search, and a cap on how many matches a ranked search scores."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from bot.db import fulltext
from bot.db.engine import Database, sync_url
from bot.db.migrate import alembic_config, upgrade
from bot.db.models import Advice, AdviceSource
from bot.directory import ensure_client
from tests.conftest import PG_URL, START


async def log_advice(db: Database, client_id: str, answers: list[str]) -> list[int]:
    """CAIO answers for `client_id`, oldest first; their ids."""
    async with db.session() as session:
        await ensure_client(session, client_id, name=client_id, now=START)
        rows = [
            Advice(
                client_id=client_id,
                question="How should we cache embeddings?",
                answer=answer,
                source=AdviceSource.CAIO,
                author="dana",
                created_at=START + timedelta(minutes=n),
            )
            for n, answer in enumerate(answers)
        ]
        session.add_all(rows)
        await session.commit()
        return [r.id for r in rows if r.id]


async def test_a_ranked_search_scores_only_the_newest_matches(database_url: str) -> None:
    """The oldest answer says "cache" most, so it ranks first while every match is scored;
    with room for three, only the newest three are ranked."""
    db = Database(database_url)
    try:
        ids = await log_advice(
            db,
            "acme",
            ["cache cache cache cache, cache everything"]
            + [f"a cache, note {n}" for n in range(4)],
        )
        async with db.session() as session:
            everything = await fulltext.search_advice(session, "acme", ["cache"])
            newest = await fulltext.search_advice(session, "acme", ["cache"], candidates=3)
        assert everything[0][0] == ids[0]
        assert {i for i, _ in newest} == set(ids[-3:])
    finally:
        await db.close()


@pytest.mark.skipif(bool(PG_URL), reason="the per-client FTS5 tables are SQLite's")
async def test_two_processes_searching_a_new_client_at_once_index_it_once(
    database_url: str,
) -> None:
    """Advice logged before the client's first search is found, and a client searched from
    two processes at once gets one index holding each row once."""
    first, second = Database(database_url), Database(database_url)
    try:
        ids = await log_advice(first, "globex", [f"cache layer {n}" for n in range(50)])
        async with first.session() as one, second.session() as two:
            results = await asyncio.gather(
                fulltext.search_advice(one, "globex", ["cache"], limit=100),
                fulltext.search_advice(two, "globex", ["cache"], limit=100),
            )
        for result in results:
            assert sorted(i for i, _ in result) == ids
        table = fulltext.advice_table("globex")
        async with first.session() as session:
            # Raw SQL goes through the session's connection: SQLModel types exec() for ORM
            # statements.
            connection = await session.connection()
            check = text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
            await connection.execute(check)
            count = text(f"SELECT count(*) FROM {table}_docsize")
            indexed = await connection.execute(count)
            assert indexed.one()[0] == len(ids)
    finally:
        await first.close()
        await second.close()


@pytest.mark.skipif(bool(PG_URL), reason="revision 0010 changes SQLite's index only")
def test_upgrading_a_database_with_advice_indexes_each_client(tmp_path: Path) -> None:
    """An operator upgrading a live database finds every client's advice straight after,
    and can roll back to the shared index with nothing lost."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url, "0009")
    engine = sa.create_engine(sync_url(url))
    with engine.begin() as conn:
        for client_id in ("acme", "globex"):
            conn.execute(
                text(
                    "INSERT INTO client (id, name, timezone, office_hours, quiet_hours, "
                    "retainer_hours, response_target_hours, profile, created_at) VALUES "
                    "(:c, :c, 'UTC', 'mon-fri 09:00-17:00', '20:00-08:00', 0, 24, '', :t)"
                ),
                {"c": client_id, "t": START},
            )
            conn.execute(
                text(
                    "INSERT INTO advice (client_id, question, answer, source, author, tags, "
                    "sources, created_at) VALUES (:c, 'Where do embeddings live?', "
                    "'In pgvector.', 'caio', 'dana', '', '', :t)"
                ),
                {"c": client_id, "t": START},
            )
    upgrade(url)

    async def found(client_id: str) -> list[tuple[int, float]]:
        db = Database(url)
        try:
            async with db.session() as session:
                return await fulltext.search_advice(
                    session, client_id, ["pgvector"], citable_only=True
                )
        finally:
            await db.close()

    assert [len(asyncio.run(found(c))) for c in ("acme", "globex")] == [1, 1]
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
    assert {fulltext.advice_table("acme"), fulltext.advice_table("globex")} <= tables
    command.downgrade(alembic_config(url), "0009")
    with engine.connect() as conn:
        hits = conn.execute(
            text("SELECT count(*) FROM advice_fts WHERE advice_fts MATCH 'pgvector'")
        )
        assert hits.one()[0] == 2
    engine.dispose()
