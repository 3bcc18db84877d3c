"""Query terms: what the search engines are asked for."""

from __future__ import annotations

from bot.text import row_id, terms


def test_redaction_placeholders_are_not_searched_for() -> None:
    assert terms("why does [REDACTED:openai-key] return 401 on embeddings?") == [
        "return",
        "401",
        "embeddings",
    ]


def test_row_ids_as_typed_or_carried_by_buttons() -> None:
    assert [row_id(t) for t in ("12", "#12", "ADR-012", " 7 ")] == [12, 12, 12, 7]
    assert [row_id(t) for t in ("0", "", "twelve", "1.5", "-3", "2200000000")] == [None] * 6
