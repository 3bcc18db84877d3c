"""`caio-bot discord sync`: register `/caio` globally (the worker syncs per guild on start)."""

from __future__ import annotations

import asyncio

import typer

from bot.logging import configure_logging
from bot.wiring import build_bot
from config.settings import Settings, get_settings

app = typer.Typer(help="Discord application commands.", no_args_is_help=True)


async def sync_commands(settings: Settings) -> int:
    """Log in over REST only (no gateway) and bulk-overwrite the global commands."""
    from adapters.discord import DiscordAdapter

    bot = build_bot(settings)
    adapter = DiscordAdapter(bot)
    try:
        await adapter.login()
        return await adapter.sync_global()
    finally:
        await adapter.client.close()
        await bot.db.close()


@app.command("sync")
def sync() -> None:
    """Register `/caio` globally, for every guild the bot is in; Discord may take up to an
    hour to show it (the worker also syncs each guild at start, which shows at once)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.discord_token is None:
        typer.echo("DISCORD_TOKEN is not set.", err=True)
        raise typer.Exit(2)
    count = asyncio.run(sync_commands(settings))
    typer.echo(f"Synced {count} global command(s).")
