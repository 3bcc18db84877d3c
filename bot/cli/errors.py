"""Database mistakes an operator makes (a bad or empty DATABASE_URL, a server or file that
cannot be opened, a database never upgraded) end any `caio-bot` command with one line on
stderr and exit code 1; the traceback is kept for bugs, where it helps."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from typer.core import TyperGroup

from bot.db.engine import async_url
from config.settings import get_settings

UNDEFINED_TABLE = "42P01"  # PostgreSQL's "relation … does not exist"


class OperatorErrors(TyperGroup):
    """The root command group: every subcommand runs inside `invoke`, so one handler here
    covers the whole CLI, whichever command opened the database."""

    def invoke(self, ctx: Any) -> Any:  # Typer's vendored click.Context, which is private
        try:
            return super().invoke(ctx)
        except (ArgumentError, ValueError, DBAPIError) as exc:
            problem = database_problem(exc, get_settings().database_url)
            if problem is None:
                raise
            typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(1) from None


def database_problem(exc: Exception, url: str) -> str | None:
    """What the operator should fix, or None when `exc` is not about the database's setup."""
    bad_url = _url_problem(url)
    if bad_url is not None:
        return bad_url
    if not isinstance(exc, DBAPIError):
        return None
    where = make_url(url).render_as_string(hide_password=True)
    if _missing_table(exc):
        return f"the database at {where} is not set up: run `caio-bot db upgrade`"
    if exc.statement is None:  # the driver failed to connect, before any SQL ran
        return f"cannot open the database at {where}: {str(exc.orig).splitlines()[0]}"
    return None


def _url_problem(url: str) -> str | None:
    if not url.strip():
        return "DATABASE_URL is empty: unset it for the default, or name a database"
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not shown: it may hold a password we cannot find
        return "DATABASE_URL is not a database URL"
    try:
        async_url(url)
    except ValueError as exc:
        return f"cannot open the database at {shown}: {exc}"
    return None


def _missing_table(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == UNDEFINED_TABLE or str(exc.orig).startswith(
        "no such table"
    )
