"""The `caio-bot` command line (Typer). Each group lives in its own module below."""

from __future__ import annotations

import typer

from bot.cli import advice, console, db, serve
from bot.cli import clients as clients_cli
from bot.cli import discord as discord_cli
from bot.cli import eval as eval_cli
from bot.cli import index as index_cli
from bot.cli import report as report_cli
from bot.cli.errors import OperatorErrors

app = typer.Typer(
    cls=OperatorErrors,
    help="caio-bot: a fractional CAIO's advisory bot for Slack, Discord and the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
app.command("console")(console.console)
app.command("serve")(serve.serve)
app.command("web")(serve.web)
app.command("worker")(serve.worker)
app.add_typer(db.app, name="db")
app.add_typer(advice.app, name="advice")
app.add_typer(discord_cli.app, name="discord")
app.command("eval")(eval_cli.eval_cmd)
app.add_typer(index_cli.app, name="index")
app.add_typer(clients_cli.app, name="clients")
app.command("report")(report_cli.report)
