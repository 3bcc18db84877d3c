"""`caio-bot advice export|import`: a CAIO's FAQ in on day one, the whole log out any time.

The CLI runs through Typer's runner against the test database (DATABASE_URL), in a worker
thread because each command runs its own event loop, as it does from a shell.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner, Result

from adapters.console import PLATFORM
from bot.cli import app
from bot.db.models import Advice, AdviceSource
from bot.directory import ensure_client, link_workspace
from bot.events import Actor, Address
from config.settings import get_settings
from tests.conftest import Chat

FAQ: list[dict[str, object]] = [
    {
        "question": "How do we choose between pgvector and a dedicated vector database?",
        "answer": "Start with pgvector in the Postgres you already run; move to a dedicated "
        "store only past ~5M vectors or when filtered ANN latency hurts.",
        "author": "Jane Doe",
        "tags": ["vector-stores", "postgres"],
        "created_at": "2025-03-01T09:30:00Z",
    },
    {
        "question": "Should juniors use Copilot on day one?",
        "answer": "Yes, with review: pair them with a senior for the first two weeks.",
        "tags": "upskilling, juniors",
    },
]
SECRET_KEY = "sk-proj-" + "Ab3De5Gh7Jk9Mn2Pq4St6Vw8Yz" * 2 + "T3BlbkFJ" + "Q1w2E3r4T5y6U7i8O9p0" * 3


async def cli(database_url: str, *args: str) -> Result:
    """`caio-bot <args>` with DATABASE_URL set, as an operator would run it."""

    def run() -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), env={"DATABASE_URL": database_url})
        finally:
            get_settings.cache_clear()

    return await asyncio.to_thread(run)


def write_jsonl(path: Path, rows: Sequence[Mapping[str, object] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def advice_rows(chat: Chat) -> list[Advice]:
    async with chat.bot.db.session() as session:
        return list(await session.exec(select(Advice)))


async def test_imported_faq_answers_questions_from_day_one(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    result = await cli(
        database_url, "advice", "import", str(write_jsonl(tmp_path / "f.jsonl", FAQ))
    )
    assert result.exit_code == 0, result.output
    assert "imported 2 advice entries" in result.stdout

    out = await chat.say("/caio ask how do we choose between pgvector and a vector database?")
    assert "*Asked before* — Advice from Jane Doe on 2025-03-01" in out
    assert "Start with pgvector in the Postgres you already run" in out
    assert "Advice from Jane Doe on 2025-03-01" in out.split("Sources:", 1)[1]

    found = await chat.say("/caio advice search copilot juniors")
    assert "answered by imported FAQ" in found and "pair them with a senior" in found
    [jane, faq] = sorted(await advice_rows(chat), key=lambda a: a.id or 0)[:2]
    assert (jane.source, jane.tags, jane.created_at.isoformat()) == (
        "import",
        "vector-stores postgres",
        "2025-03-01T09:30:00+00:00",
    )
    assert faq.tags == "upskilling juniors" and faq.author == "imported FAQ"


async def test_a_bad_line_is_named_and_nothing_is_imported(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    good = json.dumps(FAQ[0])
    for rows, problem in [
        ([good, good, '{"question": "no closing brace"'], "line 3: not JSON"),
        ([good, json.dumps({"question": "Only a question?"})], "line 2: answer: Field required"),
        ([good, "", json.dumps({**FAQ[1], "created_at": "last tuesday"})], "line 3: created_at"),
    ]:
        result = await cli(
            database_url, "advice", "import", str(write_jsonl(tmp_path / "bad.jsonl", rows))
        )
        assert result.exit_code == 1
        assert problem in result.stderr and "nothing imported" in result.stderr
        assert await advice_rows(chat) == []


async def test_an_unknown_client_imports_nothing(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    rows = [FAQ[0], {**FAQ[1], "client": "globex"}]
    result = await cli(
        database_url, "advice", "import", str(write_jsonl(tmp_path / "x.jsonl", rows))
    )
    assert result.exit_code == 1
    assert "unknown client(s): globex; nothing imported" in result.stderr
    assert await advice_rows(chat) == []


async def test_an_import_for_one_client_refuses_lines_of_another(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    """`--client globex` says whose FAQ this is: a line naming another client would put
    Globex's content where Acme's `/caio ask` cites it."""
    async with chat.bot.db.session() as session:
        await ensure_client(session, "globex", name="Globex", now=chat.bot.clock.now())
    rows = [{**FAQ[0], "client": "globex"}, FAQ[1], {**FAQ[0], "client": "demo"}]
    path = write_jsonl(tmp_path / "globex.jsonl", rows)
    result = await cli(database_url, "advice", "import", str(path), "--client", "globex")
    assert result.exit_code == 1
    assert "line 3: for client 'demo', not 'globex' (--client); nothing imported" in result.stderr
    assert await advice_rows(chat) == []

    result = await cli(database_url, "advice", "import", str(path))  # each line's own client
    assert result.exit_code == 0, result.output
    assert sorted(a.client_id for a in await advice_rows(chat)) == ["demo", "demo", "globex"]


async def test_secrets_in_an_import_are_redacted(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    row = {
        "question": f"Why does {SECRET_KEY} get a 401 from our proxy?",
        "answer": "Rotate it, then use postgres://app:pa55w0rd!@db.internal/caio instead.",
    }
    result = await cli(
        database_url, "advice", "import", str(write_jsonl(tmp_path / "s.jsonl", [row]))
    )
    assert result.exit_code == 0, result.output
    [stored] = await advice_rows(chat)
    assert SECRET_KEY[10:40] not in stored.question and "pa55w0rd" not in stored.answer
    assert "[REDACTED:" in stored.question and "[REDACTED:" in stored.answer
    exported = await cli(database_url, "advice", "export")
    assert "pa55w0rd" not in exported.stdout and SECRET_KEY[10:40] not in exported.stdout


async def test_export_in_every_format_and_per_client(chat: Chat, database_url: str) -> None:
    out = await chat.say("/caio ask how should we evaluate our RAG pipeline before launch?")
    await chat.say(chat.button(out, "Helpful"))
    await chat.say("/caio escalate can we send customer emails to OpenAI under our DPA?")
    await chat.say("/as dana caio")
    await chat.say('/caio answer 1 Yes, with the zero-retention addendum; strip PII, "quote" it.')
    async with chat.bot.db.session() as session:
        await ensure_client(session, "acme", name="Acme", now=chat.bot.clock.now())
        await link_workspace(session, "acme", PLATFORM, "acme-ws")
    chat.adapter.state.actor = Actor(PLATFORM, "eve", "eve")
    chat.adapter.state.address = Address(PLATFORM, "acme-ws", "general")
    await chat.say("/caio ask how do we keep prompt injection out of our support bot?")

    jsonl = await cli(database_url, "advice", "export", "--format", "jsonl")
    assert jsonl.exit_code == 0, jsonl.output
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [(r["client"], r["source"]) for r in records] == [
        ("demo", "ai"),
        ("demo", "caio"),
        ("acme", "ai"),
    ]
    ai, caio, _ = records
    assert ai["feedback"] == "helpful" and ai["mentee"] == "dev" and ai["sources"]
    assert caio["author"] == "dana" and caio["answer"].endswith('strip PII, "quote" it.')
    assert caio["created_at"].startswith("2026-11-24T10:00:00")

    table = await cli(database_url, "advice", "export", "--format", "csv", "--client", "demo")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["source"] for r in rows] == ["ai", "caio"]
    assert rows[1]["answer"] == caio["answer"]  # commas and quotes survive a round trip

    md = await cli(database_url, "advice", "export", "--format", "md", "--client", "acme")
    assert md.stdout.startswith("# Advice log")
    assert "## how do we keep prompt injection out of our support bot?" in md.stdout
    assert "zero-retention" not in md.stdout
    assert "asked by eve · answered by AI (ai)" in md.stdout

    bad = await cli(database_url, "advice", "export", "--format", "xml")
    assert bad.exit_code != 0


async def test_export_then_import_round_trips(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    """An export is a valid import: move a client's history to a new database, whole."""
    out = await chat.say("/caio ask how should we evaluate our RAG pipeline before launch?")
    await chat.say(chat.button(out, "Helpful"))
    await chat.say("/caio escalate how do we budget tokens for a pilot?")
    await chat.say("/as dana caio")
    await chat.say("/caio answer 1 Cap spend per user per day and alert at 80%.")
    exported = await cli(database_url, "advice", "export", "--client", "demo")
    dump = tmp_path / "dump.jsonl"
    dump.write_text(exported.stdout, encoding="utf-8")

    again = await cli(database_url, "advice", "import", str(dump))
    assert again.exit_code == 0, again.output
    assert again.stdout == "imported 0 advice entries; skipped 2 already present\n"
    assert len(await advice_rows(chat)) == 2

    elsewhere = f"sqlite:///{tmp_path / 'new.db'}"
    assert (await cli(elsewhere, "db", "upgrade")).exit_code == 0
    assert (await cli(elsewhere, "clients", "add", "demo", "Demo")).exit_code == 0
    moved = await cli(elsewhere, "advice", "import", str(dump))
    assert moved.stdout == "imported 2 advice entries\n"
    copied = await cli(elsewhere, "advice", "export")
    keep = ("client", "created_at", "question", "answer", "source", "author", "mentee", "tags")
    originals = [json.loads(line) for line in exported.stdout.splitlines()]
    copies = [json.loads(line) for line in copied.stdout.splitlines()]
    assert [{k: c[k] for k in (*keep, "feedback")} for c in copies] == [
        {k: o[k] for k in (*keep, "feedback")} for o in originals
    ]
    assert [(c["source"], c["mentee"], c["feedback"]) for c in copies] == [
        ("ai", "dev", "helpful"),
        ("caio", "dev", ""),
    ]


async def test_a_file_with_a_byte_order_mark_imports(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    """Windows tools (Notepad, Excel's "UTF-8 CSV") start UTF-8 files with a BOM."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(FAQ[0]).encode() + b"\n")
    result = await cli(database_url, "advice", "import", str(path))
    assert (result.exit_code, result.stdout) == (0, "imported 1 advice entries\n")
    [row] = await advice_rows(chat)
    assert row.question == FAQ[0]["question"]


async def test_export_of_an_unknown_client_says_so(chat: Chat, database_url: str) -> None:
    result = await cli(database_url, "advice", "export", "--client", "nope")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: no client 'nope'; see `caio-bot clients list`\n"


async def test_odd_files_are_reported_or_cleaned(
    chat: Chat, database_url: str, tmp_path: Path
) -> None:
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(json.dumps({"question": "Qué?", "answer": "Sí"}).encode() + b"\xe9\n")
    result = await cli(database_url, "advice", "import", str(latin1))
    assert result.exit_code == 1 and "not UTF-8 text; nothing imported" in result.stderr

    missing = await cli(database_url, "advice", "import", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code != 0 and await advice_rows(chat) == []

    nul = write_jsonl(tmp_path / "nul.jsonl", [{"question": "a\u0000b?", "answer": "c\u0000d"}])
    result = await cli(database_url, "advice", "import", str(nul))
    assert result.exit_code == 0, result.output
    [row] = await advice_rows(chat)
    assert (row.question, row.answer) == ("ab?", "cd")


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


async def test_csv_export_cells_cannot_run_as_formulas(chat: Chat, database_url: str) -> None:
    """A spreadsheet would evaluate these; the CSV shows them as text (OWASP), JSONL as is."""
    async with chat.bot.db.session() as session:
        for text in [*FORMULAS, "what is 1+1?"]:
            session.add(
                Advice(
                    client_id="demo",
                    question=text,
                    answer="-",
                    source=AdviceSource.IMPORT,
                    author="@dana",
                    created_at=chat.bot.clock.now(),
                )
            )
        await session.commit()
    table = await cli(database_url, "advice", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["question"] for r in rows] == [*(f"'{f}" for f in FORMULAS), "what is 1+1?"]
    assert {(r["answer"], r["author"]) for r in rows} == {("'-", "'@dana")}
    jsonl = await cli(database_url, "advice", "export")
    assert [json.loads(line)["question"] for line in jsonl.stdout.splitlines()][:6] == FORMULAS
