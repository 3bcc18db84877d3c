"""`caio-bot clients …`: what an operator types, and what they read back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.directory import client_for
from bot.wiring import bootstrap_console, build_bot, stop
from tests.conftest import make_settings

runner = CliRunner()

GOOD = """\
# Acme's settings
id = "acme"
name = "Acme Robotics"
slack = ["T0ACME"]
queue = "slack:T0CAIO:C0QUEUE"
timezone = "Europe/Berlin"
country = "DE"
region = "BY"
response_target_hours = 8
retainer_hours = 20
profile = "Python, FastAPI, Postgres; goal: support bot by Q2"

[[members]]
platform = "slack"
user_id = "U0DANA"
name = "dana"
role = "caio"
"""


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_add_list_show_set(cli_env: str) -> None:
    assert cli("clients", "add", "caio-hq", "CAIO HQ", "--slack", "T0CAIO")[0] == 0
    code, out = cli(
        "clients", "add", "acme", "Acme Robotics", "--slack", "T0ACME", "--discord", "9001",
        "--queue", "slack:T0CAIO:C0QUEUE", "--tz", "America/New_York", "--country", "US",
        "--region", "NY", "--retainer", "20", "--response-target", "8",
        "--profile", "Go services, Postgres", "--caio", "slack:U0DANA:dana",
    )  # fmt: skip
    assert code == 0, out
    assert "added client acme (Acme Robotics)" in out

    code, out = cli("clients", "list")
    assert code == 0
    assert "acme" in out and "Acme Robotics" in out and "slack:T0ACME" in out
    assert "0 h of 20 h" in out

    code, out = cli("clients", "set", "acme", "retainer=30", "office_hours=mon-thu 08:00-16:00")
    assert code == 0, out
    assert "retainer" in out and "office_hours" in out

    code, out = cli("clients", "show", "acme")
    assert "30 h/month" in out and "mon-thu 08:00-16:00 (America/New_York)" in out
    assert "discord:9001" in out and "slack:T0CAIO:C0QUEUE" in out and "US-NY" in out
    assert "dana" in out and "caio" in out


def test_mistakes_are_short_errors(cli_env: str) -> None:
    code, out = cli("clients", "add", "acme", "Acme", "--tz", "Mars/Olympus")
    assert code == 1 and "unknown time zone 'Mars/Olympus'" in out
    code, out = cli("clients", "add", "acme", "Acme", "--queue", "slack:C0QUEUE")
    assert code == 1 and "platform:workspace:channel" in out
    assert cli("clients", "add", "acme", "Acme", "--slack", "T1")[0] == 0
    code, out = cli("clients", "add", "other", "Other", "--slack", "T1")
    assert code == 1 and "slack:T1 already belongs to client 'acme'" in out
    code, out = cli("clients", "add", "acme", "Acme again")
    assert code == 1 and "exists" in out
    code, out = cli("clients", "set", "nope", "retainer=3")
    assert code == 1 and "no client 'nope'" in out
    code, out = cli("clients", "set", "acme", "retainer=lots")
    assert code == 1 and "lots" in out
    assert "Traceback" not in out


def test_bad_numbers_get_one_clear_line_from_every_door(cli_env: str) -> None:
    """The same rule for `clients add`, `clients set` (and `/caio config set`)."""
    assert cli("clients", "add", "acme", "Acme")[0] == 0
    for args, line in [
        (("set", "acme", "retainer=nan"), "error: retainer 'nan': input should be a finite number"),
        (("set", "acme", "retainer=1e400"), "error: retainer '1e400': input should be a finite"),
        (("set", "acme", "retainer=abc"), "error: retainer 'abc': input should be a valid number"),
        (
            ("set", "acme", "response_target=0"),
            "response_target '0': input should be greater than 0",
        ),
        (("add", "b", "B", "--retainer", "inf"), "error: retainer_hours: Input should be a finite"),
        (("add", "b", "B", "--country", "DE", "--region", "ZZ"), "error: DE has no region 'ZZ'"),
    ]:
        code, out = cli("clients", *args)
        assert code == 1 and line in out, (args, out)
        assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_import_a_toml_file(cli_env: str, tmp_path: Path) -> None:
    assert cli("clients", "add", "caio-hq", "CAIO HQ", "--slack", "T0CAIO")[0] == 0
    path = tmp_path / "acme.toml"
    path.write_text(GOOD)
    code, out = cli("clients", "import", str(path))
    assert code == 0, out
    assert "imported client acme (Acme Robotics): 1 workspaces, 1 people" in out
    code, out = cli("clients", "show", "acme")
    assert "Europe/Berlin" in out and "DE-BY" in out and "U0DANA" in out


def test_import_errors_name_their_lines(cli_env: str, tmp_path: Path) -> None:
    bad = (
        GOOD.replace('timezone = "Europe/Berlin"', 'timezone = "Europe/Berlinn"')
        .replace("retainer_hours = 20", "retainer_hours = -5")
        .replace('role = "caio"', 'role = "boss"')
    )
    path = tmp_path / "acme.toml"
    path.write_text(bad)
    code, out = cli("clients", "import", str(path))
    assert code == 1
    assert f"{path}: line 6: timezone: unknown time zone 'Europe/Berlinn'" in out
    assert f"{path}: line 10: retainer_hours: Input should be greater than or equal to 0" in out
    assert f"{path}: line 17: members.0.role: Input should be 'member'" in out
    assert "nothing imported" in out
    assert cli("clients", "show", "acme")[0] == 1


def test_import_reports_toml_syntax_errors_with_their_line(cli_env: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('id = "acme"\nname = "Acme\nretainer_hours = 20\n')
    code, out = cli("clients", "import", str(path))
    assert code == 1 and "line 2" in out


def test_a_file_that_is_not_utf8_is_named_and_nothing_is_imported(
    cli_env: str, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace("Acme Robotics", "Acmé").encode("latin-1"))
    code, out = cli("clients", "import", str(path))
    assert (code, out) == (1, f"{path}: not UTF-8 text; nothing imported\n")
    assert cli("clients", "show", "acme")[0] == 1


def test_the_shipped_examples_import(cli_env: str) -> None:
    examples = Path(__file__).parents[2] / "config" / "examples"
    for name in ("caio-hq.toml", "client.toml"):
        code, out = cli("clients", "import", str(examples / name))
        assert code == 0, out


def test_a_queue_nobody_could_answer_is_refused(cli_env: str) -> None:
    """The CAIO's replies are read only where a workspace is linked: a queue elsewhere would
    take escalations in and never answer them."""
    code, out = cli(
        "clients", "add", "acme", "Acme", "--slack", "T0ACME", "--queue", "slack:T0CAIO:C0Q"
    )
    assert code == 1 and "slack:T0CAIO is linked to no client" in out
    assert 'caio-bot clients add caio-hq "CAIO HQ" --slack T0CAIO' in out
    assert cli("clients", "show", "acme")[0] == 1  # nothing half-made
    assert cli("clients", "add", "caio-hq", "CAIO HQ", "--slack", "T0CAIO")[0] == 0
    assert cli("clients", "add", "acme", "Acme", "--queue", "slack:T0CAIO:C0Q")[0] == 0
    code, out = cli("clients", "set", "acme", "queue=discord:999:123")
    assert code == 1 and "discord:999 is linked to no client" in out


async def test_the_console_start_keeps_an_operators_link(cli_env: str) -> None:
    """Linking the console's workspace to a real client is the operator's choice: starting
    the console again does not move it back to the demo client."""
    code, out = await asyncio.to_thread(
        cli, "clients", "add", "acme", "Acme", "--console", "console"
    )
    assert code == 0, out
    bot = build_bot(make_settings(cli_env))
    try:
        await bootstrap_console(bot)
        async with bot.db.session() as session:
            linked = await client_for(session, "console", "console")
    finally:
        await stop(bot)
    assert linked is not None and linked.id == "acme"
