"""Discord: discord.py gateway client, `/caio` app commands, threads and persistent buttons."""

from adapters.discord.connector import DiscordAdapter

__all__ = ["DiscordAdapter"]
