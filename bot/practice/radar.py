"""The client's tech radar: blips in rings and quadrants, every move kept as history, and
the CSV/JSON that Thoughtworks' build-your-own-radar reads (name, ring, quadrant, isNew,
description; its quadrant and ring names)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models_practice import Quadrant, RadarBlip, RadarMove, Ring
from bot.spreadsheet import to_csv

NEW_FOR = timedelta(days=90)
RING_WORDS = frozenset(r.value for r in Ring)
BYOR_FIELDS = ("name", "ring", "quadrant", "isNew", "description")
RING_NAMES = {Ring.ADOPT: "Adopt", Ring.TRIAL: "Trial", Ring.ASSESS: "Assess", Ring.HOLD: "Hold"}
QUADRANT_NAMES = {
    Quadrant.TECHNIQUES: "Techniques",
    Quadrant.TOOLS: "Tools",
    Quadrant.PLATFORMS: "Platforms",
    Quadrant.LANGUAGES: "Languages & Frameworks",
}
QUADRANT_WORDS = {
    "techniques": Quadrant.TECHNIQUES,
    "technique": Quadrant.TECHNIQUES,
    "tools": Quadrant.TOOLS,
    "tool": Quadrant.TOOLS,
    "platforms": Quadrant.PLATFORMS,
    "platform": Quadrant.PLATFORMS,
    "languages-and-frameworks": Quadrant.LANGUAGES,
    "languages": Quadrant.LANGUAGES,
    "frameworks": Quadrant.LANGUAGES,
    "language": Quadrant.LANGUAGES,
    "framework": Quadrant.LANGUAGES,
}


@dataclass(frozen=True)
class Placement:
    """`radar set` parsed: what, where, and why."""

    name: str
    ring: Ring
    quadrant: Quadrant | None
    reason: str


def parse_set(text: str) -> Placement | None:
    """`<tech…> <ring> [quadrant] [reason…]`: the first ring word ends the name."""
    words = text.split()
    for index, word in enumerate(words):
        if index > 0 and word.lower() in RING_WORDS:
            rest = words[index + 1 :]
            quadrant = QUADRANT_WORDS.get(rest[0].lower().rstrip(",.;:")) if rest else None
            if quadrant is not None:
                rest = rest[1:]
            return Placement(" ".join(words[:index]), Ring(word.lower()), quadrant, " ".join(rest))
    return None


async def find(session: AsyncSession, client_id: str, name: str) -> RadarBlip | None:
    return (
        await session.exec(
            select(RadarBlip).where(
                RadarBlip.client_id == client_id, RadarBlip.key == name.strip().lower()
            )
        )
    ).first()


async def place(
    session: AsyncSession, client_id: str, placement: Placement, by: str, now: datetime
) -> tuple[RadarBlip, RadarMove]:
    """Add or move a blip and record the move; the caller checks a new blip has a quadrant."""
    blip = await find(session, client_id, placement.name)
    previous: Ring | None = None
    if blip is None:
        assert placement.quadrant is not None
        blip = RadarBlip(
            client_id=client_id,
            key=placement.name.lower(),
            name=placement.name,
            ring=placement.ring,
            quadrant=placement.quadrant,
            created_at=now,
            updated_at=now,
        )
    else:
        previous = Ring(blip.ring)
        blip.ring = placement.ring
        blip.quadrant = placement.quadrant or blip.quadrant
        blip.updated_at = now
    if placement.reason:
        blip.description = placement.reason
    session.add(blip)
    await session.flush()
    assert blip.id is not None
    move = RadarMove(
        client_id=client_id,
        blip_id=blip.id,
        from_ring=previous,
        to_ring=placement.ring,
        reason=placement.reason,
        moved_by=by,
        moved_at=now,
    )
    session.add(move)
    await session.commit()
    return blip, move


async def blips(session: AsyncSession, client_id: str) -> list[RadarBlip]:
    rows = await session.exec(
        select(RadarBlip).where(RadarBlip.client_id == client_id).order_by(col(RadarBlip.key))
    )
    return list(rows)


async def history(session: AsyncSession, client_id: str, blip: RadarBlip) -> list[RadarMove]:
    rows = await session.exec(
        select(RadarMove)
        .where(RadarMove.client_id == client_id, RadarMove.blip_id == blip.id)
        .order_by(col(RadarMove.moved_at), col(RadarMove.id))
    )
    return list(rows)


async def moves_between(
    session: AsyncSession, client_id: str, start: datetime, end: datetime
) -> list[tuple[RadarMove, RadarBlip]]:
    rows = await session.exec(
        select(RadarMove, RadarBlip)
        .join(RadarBlip, RadarBlip.id == RadarMove.blip_id)  # type: ignore[arg-type]
        .where(
            RadarMove.client_id == client_id,
            col(RadarMove.moved_at) >= start,
            col(RadarMove.moved_at) < end,
        )
        .order_by(col(RadarMove.moved_at), col(RadarMove.id))
    )
    return list(rows)


def describe_move(move: RadarMove, blip: RadarBlip) -> str:
    to = RING_NAMES[Ring(move.to_ring)]
    if move.from_ring is None:
        text = f"{blip.name} added to {to} ({QUADRANT_NAMES[Quadrant(blip.quadrant)]})"
    elif move.from_ring == move.to_ring:
        text = f"{blip.name} kept in {to}"
    else:
        text = f"{blip.name} moved {RING_NAMES[Ring(move.from_ring)]} → {to}"
    return text + (f": {move.reason}" if move.reason else "")


def render(rows: list[RadarBlip]) -> str:
    """The radar by quadrant, ring by ring."""
    parts = []
    for quadrant, title in QUADRANT_NAMES.items():
        mine = [b for b in rows if b.quadrant == quadrant]
        if not mine:
            continue
        lines = [f"*{title}*"]
        for ring, ring_title in RING_NAMES.items():
            names = [b.name for b in mine if b.ring == ring]
            if names:
                lines.append(f"  {ring_title}: {', '.join(names)}")
        parts.append("\n".join(lines))
    return "\n".join(parts)


def _byor_row(blip: RadarBlip, now: datetime) -> dict[str, str]:
    return {
        "name": blip.name,
        "ring": RING_NAMES[Ring(blip.ring)],
        "quadrant": QUADRANT_NAMES[Quadrant(blip.quadrant)],
        "isNew": "TRUE" if now - blip.created_at < NEW_FOR else "FALSE",
        "description": blip.description,
    }


def export(rows: list[RadarBlip], fmt: str, now: datetime) -> str:
    """The radar as build-your-own-radar `csv` or `json`."""
    records = [_byor_row(b, now) for b in rows]
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    return to_csv(records, BYOR_FIELDS, lineterminator="\n")
