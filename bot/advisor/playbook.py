"""The CAIO's playbook: Markdown files with front matter, mirrored into the database.

The files are the source of truth; `sync_playbook` upserts them at start so that the
full-text index covers them. A file whose front matter says `client: <id>` belongs to
that client only and overrides a shipped entry with the same slug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import PlaybookEntry

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PlaybookFile:
    slug: str
    title: str
    tags: tuple[str, ...]
    body: str
    client_id: str = ""


def read_playbook(dirs: Iterable[Path]) -> list[PlaybookFile]:
    """Every entry under `dirs`, later directories overriding earlier ones by slug."""
    entries: dict[tuple[str, str], PlaybookFile] = {}
    for directory in dirs:
        for path in sorted(directory.glob("**/*.md")):
            if path.name.lower() == "readme.md":
                continue
            post = frontmatter.load(str(path))
            raw = post.get("tags") or []
            tags = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
            entry = PlaybookFile(
                slug=path.stem,
                title=str(post.get("title") or path.stem.replace("-", " ").capitalize()),
                tags=tuple(str(t).strip() for t in tags),
                body=post.content.strip(),
                client_id=str(post.get("client") or ""),
            )
            entries[(entry.client_id, entry.slug)] = entry
    return list(entries.values())


async def sync_playbook(session: AsyncSession, files: list[PlaybookFile]) -> int:
    """Upsert the files' entries; returns how many rows changed. Processes starting together
    on a fresh database race to insert the same entries: the loser reads theirs and retries."""
    try:
        return await _upsert(session, files)
    except IntegrityError:
        await session.rollback()
        return await _upsert(session, files)


async def _upsert(session: AsyncSession, files: list[PlaybookFile]) -> int:
    existing = {(r.client_id, r.slug): r for r in await session.exec(select(PlaybookEntry))}
    changed = 0
    for entry in files:
        row = existing.get((entry.client_id, entry.slug))
        tags = " ".join(entry.tags)
        if row is None:
            row = PlaybookEntry(client_id=entry.client_id, slug=entry.slug, title="", body="")
        elif (row.title, row.tags, row.body) == (entry.title, tags, entry.body):
            continue
        row.title, row.tags, row.body = entry.title, tags, entry.body
        session.add(row)
        changed += 1
    await session.commit()
    if changed:
        log.info("playbook synced", changed=changed, entries=len(files))
    return changed
