"""`caio-bot eval` and `caio-bot index rebuild` as an operator runs them.

The CLI runs its own event loop, so it is invoked in a worker thread while the OpenAI
stand-in keeps serving on the test's loop.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.engine import Database
from bot.db.models import Advice, PlaybookEntry
from bot.db.models_embedding import Embedding
from bot.wiring import DEMO_CLIENT
from config.settings import get_settings
from tests.advisor.conftest import concept_vectors
from tests.advisor.test_retrieval import add_advice
from tests.conftest import PGVECTOR, Chat
from tests.standins.openai_server import OpenAIStandIn, hashed_bag_of_words

GOLDEN = [
    '{"question": "We keep getting 429s, what now?", '
    '"expected": ["playbook:rate-limits-and-retries"]}',
    '{"question": "What is the capital of France?", "expected": ["playbook:vector-stores"]}',
    '{"question": "Where should we keep our embeddings?", "expected": ["playbook:vector-stores"]}',
]


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CAIO_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def run(*args: str) -> Result:
    get_settings.cache_clear()
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def row(output: str, label: str) -> list[float]:
    line = next(ln for ln in output.splitlines() if label in ln)
    return [float(x) for x in re.findall(r"\d\.\d{3}", line)]


async def test_eval_prints_recall_and_mrr_for_each_method(tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    golden.write_text("\n".join(GOLDEN) + "\n")
    result = await run("eval", str(golden))
    assert result.exit_code == 0, result.output
    for heading in ("recall@1", "recall@3", "MRR", "plain BM25", "offline"):
        assert heading in result.output
    assert "hybrid" not in result.output.split("embedding model")[0]
    bm25, offline = row(result.output, "plain BM25"), row(result.output, "offline")
    assert offline[:2] == [0.667, 0.667]  # France is never found; 429s and embeddings are
    assert bm25[1] < offline[1]


async def test_eval_adds_the_hybrid_path_when_an_embedding_model_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin: OpenAIStandIn
) -> None:
    golden = tmp_path / "golden.jsonl"
    golden.write_text(GOLDEN[0] + "\n")
    standin.embed = concept_vectors({"rate limits": ["429", "rate limit"]})
    monkeypatch.setenv("OPENAI_BASE_URL", standin.base_url)
    monkeypatch.setenv("CAIO_EMBEDDING_MODEL", "stand-in-embed")
    result = await run("eval", str(golden))
    assert result.exit_code == 0, result.output
    assert row(result.output, "hybrid")[:2] == [1.0, 1.0], result.output
    assert any(r.path.endswith("/embeddings") for r in standin.requests)


async def test_eval_counts_how_often_unanswerable_questions_get_i_don_t_know(
    tmp_path: Path,
) -> None:
    golden = tmp_path / "golden.jsonl"
    lines = [
        GOLDEN[0],
        '{"question": "is the parking garage open on Sunday?", "expected": []}',
        '{"question": "will it rain in Berlin tomorrow?", "expected": []}',
    ]
    golden.write_text("\n".join(lines) + "\n")
    result = await run("eval", str(golden))
    assert result.exit_code == 0, result.output
    tables = result.output.split("Saying")
    # Recall counts the one answerable question; both others are met with "I don't know",
    # the answerable one never; plain BM25 cannot decline, so it has no figure there.
    assert row(tables[0], "offline") == [1.0, 1.0, 1.0]
    assert "to 2 unanswerable" in tables[1] and "to 1 answerable" in tables[1]
    assert row(tables[1], "offline") == [1.0, 0.0]
    assert row(tables[1], "plain BM25") == []


async def test_eval_names_a_bad_line(tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    golden.write_text(GOLDEN[0] + '\n{"question": "no expected ids"}\n')
    result = await run("eval", str(golden))
    assert result.exit_code == 1
    assert "line 2" in result.output


async def test_eval_refuses_expected_ids_as_a_string_and_warns_of_unknown_ones(
    tmp_path: Path,
) -> None:
    """A string would be read as a set of characters and score 0 without a word."""
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"question": "429s again", "expected": "playbook:rate-limits"}\n')
    result = await run("eval", str(golden))
    assert result.exit_code == 1
    assert 'line 1: each line needs "question" (text) and "expected" (a list' in result.output

    golden.write_text(GOLDEN[0] + '\n{"question": "429s", "expected": ["playbook:nope"]}\n')
    result = await run("eval", str(golden))
    assert result.exit_code == 0
    assert "warning: no source playbook:nope" in result.output


async def count_by_model(url: str) -> dict[str, int]:
    db = Database(url)
    async with db.session() as session:
        rows = await session.exec(select(Embedding.model, func.count()).group_by(Embedding.model))
        counts = {m: n for m, n in rows}
    await db.close()
    return counts


async def test_index_rebuild_recomputes_every_vector_after_a_model_change(
    chat: Chat, database_url: str, monkeypatch: pytest.MonkeyPatch, standin: OpenAIStandIn
) -> None:
    await add_advice(chat.bot, "Which vector database?", "pgvector until it hurts.")
    monkeypatch.setenv("OPENAI_BASE_URL", standin.base_url)
    async with chat.bot.db.session() as session:
        entries = (await session.exec(select(func.count()).select_from(PlaybookEntry))).one()
        advice = (await session.exec(select(func.count()).select_from(Advice))).one()

    monkeypatch.setenv("CAIO_EMBEDDING_MODEL", "model-a")
    first = await run("index", "rebuild")
    assert first.exit_code == 0, first.output
    assert f"searched in {'pgvector' if PGVECTOR else 'each process'}" in first.output
    assert await count_by_model(database_url) == {"model-a": entries + advice}

    monkeypatch.setenv("CAIO_EMBEDDING_MODEL", "model-b")
    second = await run("index", "rebuild")
    assert second.exit_code == 0, second.output
    assert f"{entries + advice} entries embedded" in second.output
    assert f"{entries + advice} vectors of other models or lengths dropped" in second.output
    assert await count_by_model(database_url) == {"model-b": entries + advice}
    models = {r.body.get("model") for r in standin.requests if r.path.endswith("/embeddings")}
    assert models == {"model-a", "model-b"}


async def test_index_rebuild_replaces_vectors_whose_length_changed_under_the_same_name(
    chat: Chat, database_url: str, monkeypatch: pytest.MonkeyPatch, standin: OpenAIStandIn
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", standin.base_url)
    monkeypatch.setenv("CAIO_EMBEDDING_MODEL", "model-a")
    assert (await run("index", "rebuild")).exit_code == 0
    standin.embed = lambda text: hashed_bag_of_words(text, 128)

    again = await run("index", "rebuild")

    assert again.exit_code == 0, again.output
    db = Database(database_url)
    async with db.session() as session:
        dims = set(await session.exec(select(Embedding.dim)))
    await db.close()
    assert dims == {128}


async def test_index_rebuild_without_a_model_says_what_to_set() -> None:
    result = await run("index", "rebuild")
    assert result.exit_code == 1
    assert "CAIO_EMBEDDING_MODEL is not set" in result.output


async def test_stale_after_sets_the_client_s_horizon(chat: Chat) -> None:
    ok = await run("index", "stale-after", DEMO_CLIENT, "90")
    assert ok.exit_code == 0 and "older than 90 days" in ok.output
    unknown = await run("index", "stale-after", "nobody", "90")
    assert unknown.exit_code == 1 and "unknown client" in unknown.output
