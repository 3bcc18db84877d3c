"""The offline advisor: an extractive answer composed from the retrieved passages alone.

It runs with no model at all (the console default) and is the fallback when the model is
down, so it must read like advice, not like search results.
"""

from __future__ import annotations

import re

from bot.advisor.passages import Passage
from bot.text import shorten, stems

EXTRACTIVE = "AI"
"""Who a draft composed here (no model) is logged as: it only quotes its sources."""

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*\"(])")
_HEADING = re.compile(r"^\s*#{1,6}\s")
# Lines under "## Pitfalls" describe what goes wrong; quoted bare they read as advice.
_WARNING_HEADING = re.compile(r"pitfall|anti-pattern|mistake", re.IGNORECASE)


def _units(text: str) -> list[str]:
    """Bullets and sentences: the pieces an answer can quote."""
    units: list[str] = []
    prefix = ""
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        for line in lines:
            if _HEADING.match(line):
                prefix = "Avoid: " if _WARNING_HEADING.search(line) else ""
                continue
            if re.match(r"^([-*+]|\d+[.)])\s+", line):
                units.append(prefix + re.sub(r"^([-*+]|\d+[.)])\s+", "", line))
            else:
                units.extend(prefix + s.strip() for s in _SENTENCE.split(line) if s.strip())
    return units


def best_lines(text: str, wanted: frozenset[str], limit: int = 3) -> list[str]:
    """The `limit` pieces of `text` that share most with the question, in reading order."""
    units = _units(text)
    scored = [(len(wanted & stems(u)), i) for i, u in enumerate(units)]
    top = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))[:limit]
    chosen = sorted(i for _, i in top) or list(range(min(limit, len(units))))
    return [shorten(units[i], 320) for i in chosen]


def compose(question: str, passages: list[Passage]) -> str:
    """An answer that quotes the most relevant lines of each source and cites it."""
    wanted = stems(question)
    parts = ["Here is what the playbook and your team's past advice say:"]
    for number, passage in enumerate(passages[:3], start=1):
        lines = best_lines(passage.text, wanted, limit=3 if number == 1 else 2)
        body = "\n".join(f"• {line}" for line in lines)
        parts.append(f"*{shorten(passage.title, 120)}* [{number}]\n{body}")
    return "\n\n".join(parts)
