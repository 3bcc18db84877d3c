"""Query terms: what the search engines are asked for."""

from __future__ import annotations

from bot.text import terms


def test_redaction_placeholders_are_not_searched_for() -> None:
    assert terms("why does [REDACTED:openai-key] return 401 on embeddings?") == [
        "return",
        "401",
        "embeddings",
    ]
