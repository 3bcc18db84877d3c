"""Small text helpers shared by retrieval and rendering: terms, stems, quoting."""

from __future__ import annotations

import re
from functools import lru_cache

_PLACEHOLDER = re.compile(r"\[REDACTED:[\w-]+\]")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "anyone",
        "anything",
        "best",
        "better",
        "way",
        "ways",
        "thing",
        "things",
        "need",
        "needs",
        "want",
        "wants",
        "use",
        "using",
        "used",
        "team",
        "teams",
        "please",
        "thanks",
        "hi",
        "hello",
        "hey",
        "good",
        "make",
        "ok",
        "okay",
        "really",
    ]
)


def words(text: str) -> list[str]:
    """Lower-cased words, hyphenated and apostrophe words kept whole."""
    return [w.lower() for w in _WORD.findall(text)]


def says_something(text: str) -> bool:
    """Is this worth posting as a question? Three characters at least, one of them a letter
    or digit: "???" or a lone emoji asks nothing, and would be posted for the team to see."""
    stripped = text.strip()
    return len(stripped) >= 3 and any(ch.isalnum() for ch in stripped)


def terms(text: str, limit: int = 16) -> list[str]:
    """The content words of a query: no stopwords, no repeats, at most `limit`. Redaction
    placeholders are not content: "[REDACTED:openai-key]" must not search for "openai"."""
    seen: dict[str, None] = {}
    for word in words(_PLACEHOLDER.sub(" ", text)):
        for part in word.replace("'", "-").split("-"):
            if len(part) > 1 and part not in STOPWORDS:
                seen.setdefault(part, None)
    return list(seen)[:limit]


def stem(word: str) -> str:
    """A crude stem for overlap checks (the database does the real stemming)."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


@lru_cache(maxsize=8192)
def stems(text: str) -> frozenset[str]:
    """The stems of a text's content words. Cached: retrieval checks the same playbook
    entries against every question, and stemming them each time kept the event loop busy."""
    return frozenset(stem(t) for t in terms(text, limit=10_000))


MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer; larger would fail the query, not find nothing


def row_id(text: str) -> int | None:
    """An id as typed or carried by a button ("12", "#12", "ADR-012"); None when it is not
    one, or is too large for any row to have it."""
    digits = text.strip().lstrip("#").removeprefix("ADR-").lstrip("0")
    if not digits.isdigit() or len(digits) > 10 or int(digits) > MAX_ROW_ID:
        return None
    return int(digits)


def split_text(text: str, limit: int, *, unsafe_tail: re.Pattern[str] | None = None) -> list[str]:
    """Pieces of at most `limit` characters, for platforms that cap a message: cut at a
    paragraph, line or word where possible. A cut at a separator keeps one of it, so words
    on either side never read as one; a hard cut never splits what `unsafe_tail` matches at
    the end of the window (Slack's `&amp;`). Blank pieces are dropped."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        soft = next(
            (c for sep in ("\n\n", "\n", " ") if (c := window.rfind(sep)) >= limit // 2), None
        )
        cut = limit if soft is None else soft
        if soft is None and unsafe_tail is not None and (tail := unsafe_tail.search(window)):
            cut = tail.start()
        pieces.append(rest[:cut].rstrip() + (rest[cut] if soft is not None else ""))
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [p for p in pieces if p.strip()] or [""]


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
