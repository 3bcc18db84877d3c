"""The field's synonyms (config/synonyms.toml): how a keyword search finds "429" under "rate limit".

Members are matched on crude stems so plurals and -ing forms count, and phrases must appear
as consecutive words. Expansion only adds search terms; it never removes what was asked.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.text import stem

SYNONYMS_FILE = Path(__file__).resolve().parents[2] / "config" / "synonyms.toml"

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

Phrase = tuple[str, ...]


def tokens(text: str) -> list[str]:
    """Lower-cased word pieces; hyphens and apostrophes split words, as the FTS tokenizers do."""
    return [t.lower() for t in _TOKEN.findall(text)]


@dataclass(frozen=True)
class SynonymMap:
    """Groups of interchangeable terms, each term a phrase of one or more words."""

    version: str
    groups: tuple[tuple[Phrase, ...], ...]

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> SynonymMap:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        groups = tuple(
            tuple(p for p in (tuple(tokens(t)) for t in group["terms"]) if p)
            for group in data.get("group", [])
        )
        return cls(version=str(data.get("version", "unversioned")), groups=groups)

    def expand(self, text: str) -> list[Phrase]:
        """Phrases to search for besides the question's own words, in group order."""
        words = tokens(text)
        stemmed = [stem(w) for w in words]
        extra: dict[Phrase, None] = {}
        for group in self.groups:
            present = [_contains(stemmed, [stem(w) for w in p]) for p in group]
            if any(present):
                # A phrase the question already contains (in any inflection) adds nothing.
                extra.update(
                    (p, None) for p, there in zip(group, present, strict=True) if not there
                )
        return list(extra)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@lru_cache
def default_synonyms() -> SynonymMap:
    """The shipped map, read once per process."""
    return SynonymMap.load()
