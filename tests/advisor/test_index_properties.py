"""The advice index stays in step with the advice table, whatever happens to the rows.

On SQLite each client's index is a contentless FTS5 table fed by triggers, made with what
the client already has on its first search: taking a row out needs exactly the values it
was indexed with, and a mistake there corrupts the index without an error. Hypothesis
applies random inserts, edits (text, client, source, rating), moves between clients and
deletes, then compares every search with a plain reading of the table. PostgreSQL's
generated `tsvector` is held to the same standard when the suite runs there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text
from sqlmodel import select

from bot.core import Bot
from bot.db import fulltext
from bot.db.models import Advice, AdviceSource, Feedback
from bot.directory import ensure_client
from tests.conftest import START

# Words every stemmer leaves alone, so "holds the word" is plain to check.
WORDS = ("alpha", "bravo", "delta", "kilo", "lima")
CLIENTS = ("acme", "acme-corp", "globex")  # one id is the other's prefix
SOURCES = tuple(AdviceSource)
RATINGS = (None, Feedback.HELPFUL, Feedback.NOT_HELPFUL)

TEXTS = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
# What each operation carries; the integers pick a row among those present.
Op = (
    tuple[Literal["insert"], str, AdviceSource, Feedback | None, str, str]
    | tuple[Literal["edit"], int, str]
    | tuple[Literal["rate"], int, Feedback | None]
    | tuple[Literal["move"], int, str]
    | tuple[Literal["source"], int, AdviceSource]
    | tuple[Literal["delete"], int]
)
OPS: st.SearchStrategy[list[Op]] = st.lists(
    st.one_of(
        st.tuples(
            st.just("insert"),
            st.sampled_from(CLIENTS),
            st.sampled_from(SOURCES),
            st.sampled_from(RATINGS),
            TEXTS,
            TEXTS,
        ),
        st.tuples(st.just("edit"), st.integers(0, 20), TEXTS),
        st.tuples(st.just("rate"), st.integers(0, 20), st.sampled_from(RATINGS)),
        st.tuples(st.just("move"), st.integers(0, 20), st.sampled_from(CLIENTS)),
        st.tuples(st.just("source"), st.integers(0, 20), st.sampled_from(SOURCES)),
        st.tuples(st.just("delete"), st.integers(0, 20)),
    ),
    max_size=25,
)


@dataclass
class Row:
    client_id: str
    source: str
    feedback: str | None
    words: set[str]

    def citable(self) -> bool:
        return self.source in ("caio", "import") or self.feedback == "helpful"


async def apply(bot: Bot, ops: list[Op]) -> dict[int, Row]:
    """Run the operations through the ORM (so the triggers fire); what the table holds."""
    async with bot.db.session() as session:
        for op in ops:
            ids = sorted(r.id for r in await session.exec(select(Advice)) if r.id)
            if op[0] == "insert":
                _, client, source, rating, question, answer = op
                session.add(
                    Advice(
                        client_id=client,
                        question=question,
                        answer=answer,
                        source=source,
                        author="dana",
                        feedback=rating,
                        created_at=START,
                    )
                )
            elif ids:
                row = await session.get(Advice, ids[op[1] % len(ids)])
                assert row is not None
                match op:
                    case ("edit", _, question):
                        row.question = question
                    case ("rate", _, rating):
                        row.feedback = rating
                    case ("move", _, client):
                        row.client_id = client
                    case ("source", _, source):
                        row.source = source
                    case ("delete", _):
                        await session.delete(row)
                if op[0] != "delete":
                    session.add(row)
            await session.commit()
        rows = await session.exec(select(Advice))
        return {
            r.id: Row(r.client_id, r.source, r.feedback, set(f"{r.question} {r.answer}".split()))
            for r in rows
            if r.id
        }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
async def test_every_search_finds_exactly_the_rows_the_table_holds(bot: Bot, ops: list[Op]) -> None:
    async with bot.db.session() as session:
        for client in CLIENTS:
            await ensure_client(session, client, name=client, now=START)
        await session.exec(delete(Advice))
        await session.commit()
    table = await apply(bot, ops)
    async with bot.db.session() as session:
        for client in CLIENTS:
            for word in WORDS:
                for citable_only in (False, True):
                    found = await fulltext.search_advice(
                        session, client, [word], citable_only=citable_only, limit=1000
                    )
                    expected = {
                        i
                        for i, r in table.items()
                        if r.client_id == client
                        and word in r.words
                        and (r.citable() or not citable_only)
                    }
                    assert {i for i, _ in found} == expected, (client, word, citable_only)
        if bot.db.dialect == "sqlite":
            # FTS5 checks its own structure; a row removed with wrong values fails here.
            for client in CLIENTS:
                fts = fulltext.advice_table(client)
                check = text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
                # Raw SQL goes through the session's connection: SQLModel types exec() for ORM
                # statements.
                await (await session.connection()).execute(check)
