"""`caio-bot eval FILE.jsonl`: retrieval quality on a golden set, each method side by side.

Each line is `{"question": "...", "expected": ["playbook:<slug>", ...]}`; a question counts as
found at rank r when any expected id is the r-th passage returned. By default the run uses a
throw-away SQLite database holding only the playbook, so figures are reproducible anywhere.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bot.advisor.playbook import read_playbook, sync_playbook
from bot.advisor.retrieval import Method, Retriever
from bot.advisor.synonyms import default_synonyms
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.wiring import build_retriever
from config.settings import Settings, get_settings

DEPTH = 10  # passages looked at per question; MRR counts a hit below this as 0


@dataclass(frozen=True)
class Case:
    question: str
    expected: frozenset[str]


@dataclass(frozen=True)
class Scores:
    method: str
    recall_at_1: float
    recall_at_3: float
    mrr: float
    questions: int


def read_cases(path: Path) -> list[Case]:
    """The golden set; a malformed line stops the run with its number."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            cases.append(Case(str(item["question"]), frozenset(map(str, item["expected"]))))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: {exc!r}") from None
    return cases


def score(method: str, ranks: list[int | None]) -> Scores:
    """recall@k and MRR from the 1-based rank of each question's first expected id."""
    n = len(ranks) or 1
    return Scores(
        method,
        sum(1 for r in ranks if r is not None and r <= 1) / n,
        sum(1 for r in ranks if r is not None and r <= 3) / n,
        sum(1.0 / r for r in ranks if r is not None) / n,
        len(ranks),
    )


async def evaluate(
    db: Database, retriever: Retriever, client_id: str, cases: list[Case], methods: list[Method]
) -> list[Scores]:
    results: list[Scores] = []
    for method in methods:
        ranks: list[int | None] = []
        async with db.session() as session:
            for case in cases:
                found = await retriever.search(
                    session, client_id, case.question, limit=DEPTH, method=method
                )
                ids = [p.id for p in found.passages]
                hit = next((i for i, pid in enumerate(ids, 1) if pid in case.expected), None)
                ranks.append(hit)
        results.append(score(method, ranks))
    return results


LABELS = {
    "bm25": "plain BM25 (raw words)",
    "offline": "offline (stemming + synonyms)",
    "hybrid": "hybrid (full text + vectors, fused)",
}


def render(results: list[Scores], caption: str) -> Table:
    table = Table(title="Retrieval quality", caption=caption)
    for name in ("method", "recall@1", "recall@3", "MRR", "questions"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for s in results:
        table.add_row(
            LABELS.get(s.method, s.method),
            f"{s.recall_at_1:.3f}",
            f"{s.recall_at_3:.3f}",
            f"{s.mrr:.3f}",
            str(s.questions),
        )
    return table


async def _run(settings: Settings, cases: list[Case], client_id: str) -> tuple[list[Scores], str]:
    db = Database(settings.database_url)
    retriever = build_retriever(settings)
    vectors = retriever.vectors
    methods: list[Method] = ["bm25", "offline"]
    if vectors is not None:
        methods.append("hybrid")
    try:
        async with db.session() as session:
            await sync_playbook(session, read_playbook(settings.playbook_dirs))
        results = await evaluate(db, retriever, client_id, cases, methods)
    finally:
        if vectors is not None:
            await vectors.embedder.close()
        await db.close()
    model = settings.embedding_model or "none (set CAIO_EMBEDDING_MODEL for hybrid)"
    caption = (
        f"database: {db.dialect} · synonyms {default_synonyms().version} · "
        f"embedding model: {model} · top {DEPTH} passages per question"
    )
    return results, caption


def eval_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="golden set (.jsonl)"),
    use_database: bool = typer.Option(
        False,
        "--use-database",
        help="search DATABASE_URL (and its advice) instead of a scratch copy",
    ),
    client: str = typer.Option("demo", "--client", help="whose advice log to search"),
) -> None:
    """Recall@1, recall@3 and MRR for plain BM25, the offline path and (with an embedding
    model configured) the hybrid path."""
    try:
        cases = read_cases(file)
    except ValueError as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(1) from None
    settings = get_settings()
    with tempfile.TemporaryDirectory() as scratch:
        if not use_database:
            url = f"sqlite:///{Path(scratch) / 'eval.db'}"
            upgrade(url)
            settings = settings.model_copy(update={"database_url": url})
        results, caption = asyncio.run(_run(settings, cases, client))
    Console().print(render(results, caption))
