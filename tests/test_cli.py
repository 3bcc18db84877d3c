"""The installed `caio-bot` command as an operator runs it: real subprocesses, real signals."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CAIO_BOT = str(Path(sys.executable).with_name("caio-bot"))


def env_for(database_url: str, **extra: str) -> dict[str, str]:
    """A clean environment: no model key, no platform tokens, only what the test names."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return {**keep, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **extra}


def caio_bot(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CAIO_BOT, *args], input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_db_upgrade_creates_a_fresh_database(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    done = caio_bot("db", "upgrade", env=env_for(f"sqlite:///{db}"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "database is up to date" in done.stdout
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        heads = conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
    assert {"client", "member", "question", "advice", "escalation", "playbookentry_fts"} <= tables
    assert heads >= 1


def test_piped_console_session_answers_and_exits_at_eof(tmp_path: Path) -> None:
    script = (
        "/caio ask how should we evaluate our RAG pipeline before launch?\n"
        "/caio escalate can we send customer emails to OpenAI under our DPA?\n"
        "/as dana caio\n"
        "/caio answer 1 Yes, with the zero-retention addendum signed.\n"
    )
    done = caio_bot(
        "console", env=env_for(f"sqlite:///{tmp_path}/c.db"), cwd=tmp_path, stdin=script
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "*dev* asked: how should we evaluate our RAG pipeline" in out
    assert "[#general › thread 1] caio-bot:" in out
    assert "Sources: [1] Playbook:" in out
    assert "[1] Helpful  [2] Not helpful  [3] Escalate" in out
    assert "*dana* (CAIO) answered escalation #1" in out
    assert "Traceback" not in done.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`caio-bot serve --port N` on the (migrated) test database, killed if a test fails."""
    port = free_port()
    proc = subprocess.Popen(
        [CAIO_BOT, "serve", "--port", str(port)],
        env=env_for(database_url, CAIO_LOG_LEVEL="WARNING"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_until_up(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("caio-bot serve did not open its port in 30 s")


def test_serve_answers_health_and_metrics_and_stops_on_sigterm(
    served: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = served
    wait_until_up(proc, port)
    status, body = get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200 and '"status": "ok"' in body
    status, body = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    assert "# TYPE" in body and "python_info" in body

    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("database_url", "command", "says"),
    [
        (
            "sqlite:////nonexistent/dir/x.db",
            ["db", "upgrade"],
            "error: cannot open the database at sqlite:////nonexistent/dir/x.db: "
            "unable to open database file",
        ),
        (
            "sqlite:////nonexistent/dir/x.db",
            ["console"],
            "error: cannot open the database at sqlite:////nonexistent/dir/x.db: "
            "unable to open database file",
        ),
        (
            "sqlite:///{tmp}/never-upgraded.db",
            ["clients", "list"],
            "error: the database at sqlite:///{tmp}/never-upgraded.db is not set up: "
            "run `caio-bot db upgrade`",
        ),
        (
            "sqlite:///{tmp}/never-upgraded.db",
            ["report", "--client", "acme", "--month", "2026-11"],
            "error: the database at sqlite:///{tmp}/never-upgraded.db is not set up: "
            "run `caio-bot db upgrade`",
        ),
        (
            "bogus://x",
            ["advice", "export"],
            "error: cannot open the database at bogus://x: "
            "unsupported database 'bogus': use sqlite or postgresql",
        ),
        (
            "",
            ["clients", "show", "acme"],
            "error: DATABASE_URL is empty: unset it for the default, or name a database",
        ),
        (
            "postgresql://caio:hunter2@127.0.0.1:1/caio",
            ["advice", "export"],
            "error: cannot open the database at postgresql://caio:***@127.0.0.1:1/caio: ",
        ),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line_not_a_traceback(
    tmp_path: Path, database_url: str, command: list[str], says: str
) -> None:
    url = database_url.format(tmp=tmp_path)
    done = caio_bot(*command, env=env_for(url), cwd=tmp_path)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()  # the driver's own wording may follow `says`
    assert line.startswith(says.format(tmp=tmp_path)), line
    assert "hunter2" not in line


@pytest.mark.parametrize(
    ("args", "extra", "says"),
    [
        (["web", "--port", "0"], {}, "error: --port 0 is not a port to listen on: use 1-65535"),
        (["serve"], {"PORT": "0"}, "error: PORT 0 is not a port to listen on: use 1-65535"),
    ],
)
def test_port_zero_is_refused_not_logged_as_another_port(
    tmp_path: Path, database_url: str, args: list[str], extra: dict[str, str], says: str
) -> None:
    done = caio_bot(*args, env=env_for(database_url, **extra), cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (1, says + "\n", "")


def test_a_server_logs_only_json_lines_and_nothing_misleading(
    tmp_path: Path, database_url: str
) -> None:
    """A log collector parses every line, the libraries' too (APScheduler says it started);
    and Bolt's notice of file-based OAuth stores, which nothing uses, is not among them."""
    port = free_port()
    proc = subprocess.Popen(
        [CAIO_BOT, "serve", "--port", str(port)],
        env=env_for(
            database_url,
            CAIO_LOG_LEVEL="INFO",
            SLACK_CLIENT_ID="1234.5678",
            SLACK_CLIENT_SECRET="s3cr3t",
            SLACK_SIGNING_SECRET="8f742231b10e8888abcd99yyyzzz85a5",
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not any("apscheduler" in line for line in seen):  # the scheduler starts last
            assert time.monotonic() < deadline and proc.poll() is None, "".join(seen)
            if select.select([proc.stderr], [], [], 0.5)[0]:
                seen.append(proc.stderr.readline())
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(seen) + rest
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(line.get("logger", "").startswith("apscheduler") for line in lines), stderr
    assert not any("file-based" in line["event"] for line in lines), stderr
