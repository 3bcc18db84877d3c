"""Rendering is pure: Message in, Discord content/embeds/buttons out, within Discord's limits."""

from __future__ import annotations

import discord
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from adapters.discord.render import (
    CONTENT_LIMIT,
    CUSTOM_ID,
    EMBED_TOTAL_LIMIT,
    ActionButton,
    markdown,
    render,
)
from bot.message import Button, Message
from bot.roles import parse_role_map
from bot.text import split_text as split


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=9000), st.integers(50, 2000))
@example("a" * 49 + " a", 50)  # a cut at the space must not glue the two words together
def test_split_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    chunks = split(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert "".join(chunks).split() == text.split()


def test_buttons_carry_action_and_value_in_a_persistent_custom_id() -> None:
    message = Message(
        "Done",
        actions=(
            Button("advice.helpful", "Helpful", "12", "primary"),
            Button("question.escalate", "Escalate", "7", "danger"),
        ),
    )
    (part,) = render(message)
    assert part.view is not None and part.view.timeout is None
    items = [i for i in part.view.children if isinstance(i, ActionButton)]
    assert [i.custom_id for i in items] == ["caio:advice.helpful:12", "caio:question.escalate:7"]
    assert [i.item.style for i in items] == [
        discord.ButtonStyle.primary,
        discord.ButtonStyle.danger,
    ]
    found = CUSTOM_ID.fullmatch("caio:advice.helpful:12")
    assert found is not None and found["action"] == "advice.helpful" and found["value"] == "12"
    assert CUSTOM_ID.fullmatch("someone-else:1") is None


def test_title_and_fields_become_an_embed_and_notes_small_print() -> None:
    message = Message(
        "Can we use OpenAI?",
        title="Escalation #3",
        fields=(("Client", "Acme"),),
        notes=("Reply in this thread",),
    )
    (part,) = render(message)
    (embed,) = part.embeds
    assert embed.title == "Escalation #3" and embed.description == "Can we use OpenAI?"
    assert [(f.name, f.value) for f in embed.fields] == [("Client", "Acme")]
    assert part.content == "-# Reply in this thread"


def test_long_text_is_split_with_buttons_on_the_last_part() -> None:
    message = Message("word " * 1000, actions=(Button("advice.helpful", "Helpful", "1"),))
    parts = render(message)
    assert len(parts) == 3 and all(len(p.content) <= CONTENT_LIMIT for p in parts)
    assert [p.view is not None for p in parts] == [False, False, True]


def test_slack_bold_becomes_discord_bold() -> None:
    assert markdown("*dana* (CAIO) answered") == "**dana** (CAIO) answered"
    assert markdown("2 * 3 * 4 and **kept**") == "2 * 3 * 4 and **kept**"


def test_role_mapping_by_name_or_id() -> None:
    mapping = parse_role_map("123456788:caio, Tech Leads:lead,123456789:admin")
    assert mapping == {"123456788": "caio", "tech leads": "lead", "123456789": "admin"}
    with pytest.raises(ValueError, match="must be one of"):
        parse_role_map("CAIO:boss")
    with pytest.raises(ValueError, match="should read"):
        parse_role_map("CAIO")


def test_a_long_embed_with_fields_stays_within_discords_total() -> None:
    """Discord refuses an embed over 6,000 characters in all (400 Invalid Form Body): a
    long description and its fields go out as two embeds, every field kept."""
    fields = tuple((f"field {n}", "x" * 600) for n in range(5))
    parts = render(Message("word " * 790, title="Stand-up summary", fields=fields))
    embeds = [embed for part in parts for embed in part.embeds]
    assert all(len(embed) <= EMBED_TOTAL_LIMIT for embed in embeds)
    assert [f.name for e in embeds for f in e.fields] == [name for name, _ in fields]
    assert embeds[0].title == "Stand-up summary"
