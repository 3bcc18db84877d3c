"""Discord's table: which guild a direct-message channel with the bot belongs to.

A DM carries no guild, and a bot in several clients' guilds cannot tell from the person
alone, so the guild each DM channel was last used for (a stand-up prompt, say) is kept
here; in memory only, a reply after a restart could not be placed and was lost.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DiscordDirectChannel(SQLModel, table=True):
    __tablename__ = "discord_dm_channel"

    channel_id: str = Field(primary_key=True, max_length=32)
    guild_id: str = Field(max_length=32)
