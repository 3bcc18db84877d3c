"""A message's files as Discord uploads, within Discord's limits: at most ten files a message
and the server's upload size. What cannot be sent is named in a note, never dropped silently.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import discord

from bot.message import Attachment

MAX_FILES = 10
TOO_LARGE = 40005
"""Discord's "Request entity too large" (HTTP 413)."""


@dataclass
class Plan:
    """Files in batches of at most ten, and those over the size limit."""

    batches: list[list[Attachment]] = field(default_factory=list)
    too_big: list[Attachment] = field(default_factory=list)


def plan(files: tuple[Attachment, ...], limit: int) -> Plan:
    fits = [f for f in files if len(f.content) <= limit]
    batches = [fits[i : i + MAX_FILES] for i in range(0, len(fits), MAX_FILES)]
    return Plan(batches, [f for f in files if len(f.content) > limit])


def as_files(batch: list[Attachment]) -> list[discord.File]:
    """Fresh `discord.File`s: discord.py closes them once sent, so a retry needs new ones."""
    return [
        discord.File(io.BytesIO(f.content), filename=f.filename, description=f.title or None)
        for f in batch
    ]


def rejected(error: discord.HTTPException) -> bool:
    """Whether Discord refused the request because of the size of its files."""
    return error.status == 413 or error.code == TOO_LARGE


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def too_big_note(files: list[Attachment], limit: int) -> str:
    names = ", ".join(f"`{f.filename}` ({megabytes(len(f.content))})" for f in files)
    return f"⚠️ Not attached, over this server's {megabytes(limit)} upload limit: {names}."


def refused_note(files: list[Attachment], reason: str) -> str:
    names = ", ".join(f"`{f.filename}`" for f in files)
    return f"⚠️ Discord refused the upload of {names} ({reason}). The files were not attached."
