"""`caio-bot console`: chat with the bot in the terminal (also reads piped stdin)."""

from __future__ import annotations

import asyncio

from adapters.console import ConsoleAdapter
from bot.db.migrate import upgrade
from bot.logging import configure_logging
from bot.wiring import bootstrap_console, build_bot, start, stop
from config.settings import get_settings
from scheduler.engine import Engine


def console() -> None:
    """Chat with caio-bot in this terminal: no tokens, SQLite by default."""
    settings = get_settings()
    configure_logging("WARNING", human=True)
    upgrade(settings.database_url)
    asyncio.run(_run())


async def _run() -> None:
    bot = build_bot(get_settings())
    adapter = ConsoleAdapter(bot)
    bot.add_adapter(adapter)
    await bootstrap_console(bot)
    await start(bot)
    engine = Engine(bot)  # stand-ups and share posts fire in the terminal
    await engine.start()
    try:
        await adapter.run()
    finally:
        await engine.stop()
        await stop(bot)
