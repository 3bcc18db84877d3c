"""`caio-bot db upgrade`: Alembic migrations to head (the Procfile's release step)."""

from __future__ import annotations

import typer

from bot.db.migrate import upgrade as run_upgrade
from config.settings import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Migrate the database in DATABASE_URL to the newest schema."""
    run_upgrade(get_settings().database_url)
    typer.echo("database is up to date")
