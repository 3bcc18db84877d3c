"""Mentions typed into a slash command's text, as the names Discord shows for them.

Discord resolves mentions for messages (discord.py's `clean_content`), not for a string
option: `/caio ask can <@80351110224678912> review this?` arrives with the markup, which
means nothing once relayed to a Slack asker, logged as advice or quoted to the model.
"""

from __future__ import annotations

import re

import discord
import structlog

log = structlog.get_logger(__name__)

MARKUP = re.compile(r"<(@!?|@&|#)(\d{15,21})>")
LOOKUPS = 10
"""Members not in discord.py's cache are asked for over REST, this many per text at most;
further mentions keep their markup rather than hold the answer up."""


async def named(guild: discord.Guild | None, text: str) -> str:
    """`text` with each user, role and channel mention replaced by `@name` or `#name`; a
    mention nobody can name (a user who left, a deleted role) keeps its markup."""
    found = {(kind.rstrip("!"), int(ident)) for kind, ident in MARKUP.findall(text)}
    if guild is None or not found:
        return text
    names: dict[tuple[str, int], str] = {}
    lookups = 0
    for kind, ident in sorted(found):
        if kind == "#":
            channel = guild.get_channel_or_thread(ident)
            if channel is not None:
                names[kind, ident] = f"#{channel.name}"
        elif kind == "@&":
            role = guild.get_role(ident)
            if role is not None:
                names[kind, ident] = f"@{role.name}"
        else:
            member = guild.get_member(ident)
            if member is None and lookups < LOOKUPS:
                lookups += 1
                member = await _fetch(guild, ident)
            if member is not None:
                names[kind, ident] = f"@{member.display_name}"

    def name(match: re.Match[str]) -> str:
        return names.get((match[1].rstrip("!"), int(match[2])), match[0])

    return MARKUP.sub(name, text)


async def _fetch(guild: discord.Guild, user_id: int) -> discord.Member | None:
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        return None
    except discord.HTTPException as exc:
        log.warning("could not name a mentioned member", user=user_id, error=str(exc))
        return None
