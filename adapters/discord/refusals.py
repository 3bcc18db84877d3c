"""Discord's permanent refusals as `DeliveryError`, in words a user can act on.

A refusal that no retry will fix (the bot lost access to a channel, the channel or message
is gone, the thread is archived or locked, a person's DMs are closed) becomes a
`DeliveryError` whose text is shown to people as it is, so the core can keep the work open
and say why. Everything else, rate limits and outages included, stays discord.py's error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord

from bot.adapter import DeliveryError

UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
ARCHIVED_THREAD = 50083
LOCKED_THREAD = 160005

PHRASES = {
    UNKNOWN_CHANNEL: "that channel or thread no longer exists",
    UNKNOWN_MESSAGE: "that message no longer exists",
    UNKNOWN_USER: "Discord does not know that person",
    MISSING_ACCESS: "the bot can't see that channel",
    CANNOT_DM: "that person's DMs are closed to the bot",
    MISSING_PERMISSIONS: "the bot lacks a permission there",
    ARCHIVED_THREAD: "that thread is archived",
    LOCKED_THREAD: "that thread is locked",
}
"""What each refusal means for the person who wanted the message delivered."""


def reason(error: discord.HTTPException) -> str | None:
    """The short phrase for a permanent refusal; None when a retry might still work."""
    phrase = PHRASES.get(error.code)
    if phrase is not None:
        # Discord's own words name the missing right ("Missing Permissions"); keep them.
        return f"{phrase} ({error.text})" if error.status == 403 and error.text else phrase
    if error.status == 403:
        return f"Discord refused the bot ({error.text or 'Forbidden'})"
    return None


@contextmanager
def as_delivery_errors() -> Iterator[None]:
    """Turn the permanent refusals raised inside the block into `DeliveryError`."""
    try:
        yield
    except discord.HTTPException as e:
        why = reason(e)
        if why is None:
            raise
        raise DeliveryError(why) from e
