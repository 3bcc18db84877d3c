"""`caio-bot eval FILE.jsonl`: retrieval quality on a golden set, each method side by side.

Each line is `{"question": "...", "expected": ["playbook:<slug>", ...]}`; a question counts as
found at rank r when any expected id is the r-th passage returned. A line whose `expected` is
empty is a question nothing should answer: the bot ought to say it does not know, and the
run reports how often each method does (and how often it wrongly does so for the others).
By default the run uses a throw-away SQLite database holding only the playbook, so figures
are reproducible anywhere.
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
from bot.advisor.retrieval import Method, Retriever, load_passages
from bot.advisor.synonyms import default_synonyms
from bot.cli.database import open_database
from bot.clock import SystemClock
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
    recall_at_1: float | None
    recall_at_3: float | None
    mrr: float | None
    questions: int
    # Shares of the questions nothing answers, and of the others, met with "I don't know";
    # None where the set has none of them, or the method never declines (plain BM25).
    declined_unanswerable: float | None = None
    declined_answerable: float | None = None


LINE_SHAPE = 'each line needs "question" (text) and "expected" (a list of source ids)'


def read_cases(path: Path) -> list[Case]:
    """The golden set; a malformed line stops the run with its number. `expected` must be a
    list: a bare string would be read as a set of characters and score 0 without a word."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"line {number}: not JSON ({exc})") from None
        question = item.get("question") if isinstance(item, dict) else None
        expected = item.get("expected") if isinstance(item, dict) else None
        if (
            not isinstance(question, str)
            or not question.strip()
            or not isinstance(expected, list)
            or not all(isinstance(e, str) for e in expected)
        ):
            raise ValueError(f"line {number}: {LINE_SHAPE}")
        cases.append(Case(question, frozenset(expected)))
    return cases


async def unknown_sources(db: Database, client_id: str, cases: list[Case]) -> list[str]:
    """Expected ids that name no playbook entry or advice of the client: typos, which would
    otherwise only show as misses."""
    wanted = sorted({e for case in cases for e in case.expected})
    async with db.session() as session:
        found = {p.id for p in await load_passages(session, client_id, wanted)}
    return [e for e in wanted if e not in found]


def score(
    method: str, ranks: list[int | None], unanswerable: list[bool], declined: list[bool] | None
) -> Scores:
    """recall@k and MRR from the 1-based rank of each answerable question's first expected
    id; with `declined` (no passage returned) per question, how often the bot said it did
    not know, to the questions nothing answers and to the others."""
    found = [r for r, skip in zip(ranks, unanswerable, strict=True) if not skip]
    n = len(found)

    def declined_share(to_unanswerable: bool) -> float | None:
        if declined is None or not any(unanswerable):
            return None
        flags = [d for d, u in zip(declined, unanswerable, strict=True) if u == to_unanswerable]
        return sum(flags) / len(flags) if flags else None

    return Scores(
        method,
        sum(1 for r in found if r is not None and r <= 1) / n if n else None,
        sum(1 for r in found if r is not None and r <= 3) / n if n else None,
        sum(1.0 / r for r in found if r is not None) / n if n else None,
        n,
        declined_share(True),
        declined_share(False),
    )


async def evaluate(
    db: Database, retriever: Retriever, client_id: str, cases: list[Case], methods: list[Method]
) -> list[Scores]:
    results: list[Scores] = []
    for method in methods:
        ranks: list[int | None] = []
        declined: list[bool] = []
        async with db.session() as session:
            for case in cases:
                found = await retriever.search(
                    session, client_id, case.question, limit=DEPTH, method=method
                )
                ids = [p.id for p in found.passages]
                hit = next((i for i, pid in enumerate(ids, 1) if pid in case.expected), None)
                ranks.append(hit)
                declined.append(not ids)
        unanswerable = [not case.expected for case in cases]
        # Plain BM25 returns whatever matched: it has no notion of "nothing relevant".
        results.append(score(method, ranks, unanswerable, None if method == "bm25" else declined))
    return results


LABELS = {
    "bm25": "plain BM25 (raw words)",
    "offline": "offline (stemming + synonyms)",
    "hybrid": "hybrid (full text + vectors, fused)",
}


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render(results: list[Scores], caption: str) -> Table:
    table = Table(title="Retrieval quality", caption=caption)
    for name in ("method", "recall@1", "recall@3", "MRR", "questions"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for s in results:
        figures = (s.recall_at_1, s.recall_at_3, s.mrr)
        table.add_row(LABELS.get(s.method, s.method), *map(_figure, figures), str(s.questions))
    return table


def render_declines(results: list[Scores], unanswerable: int, answerable: int) -> Table:
    """How often each method says "I don't know": rightly (nothing answers the question)
    and wrongly (the set names an answer)."""
    table = Table(title="Saying “I don't know”")
    table.add_column("method")
    table.add_column(f"to {unanswerable} unanswerable", justify="right")
    table.add_column(f"to {answerable} answerable", justify="right")
    for s in results:
        label = LABELS.get(s.method, s.method)
        table.add_row(label, _figure(s.declined_unanswerable), _figure(s.declined_answerable))
    return table


async def _run(settings: Settings, cases: list[Case], client_id: str) -> tuple[list[Scores], str]:
    retriever = build_retriever(settings, SystemClock())
    vectors = retriever.vectors
    methods: list[Method] = ["bm25", "offline"]
    if vectors is not None:
        methods.append("hybrid")
    try:
        async with open_database(settings.database_url) as db:
            async with db.session() as session:
                await sync_playbook(session, read_playbook(settings.playbook_dirs))
            for missing in await unknown_sources(db, client_id, cases):
                Console(stderr=True).print(f"warning: no source {missing} (expected by the set)")
            results = await evaluate(db, retriever, client_id, cases, methods)
    finally:
        if vectors is not None:
            await vectors.embedder.close()
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
    """Retrieval quality on a golden set: recall@1, recall@3, MRR, "I don't know" per method."""
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
    console = Console()
    console.print(render(results, caption))
    unanswerable = sum(1 for c in cases if not c.expected)
    if unanswerable:
        console.print(render_declines(results, unanswerable, len(cases) - unanswerable))
