"""Neutral `Message` → Slack Block Kit, and the small views built from clicks (pure).

Everything a user could have typed is escaped (`&`, `<`, `>`), so no `<!channel>`,
`<!here>` or `<@U…>` can be injected by echoing a question. Long texts are split across
several Slack messages rather than failing Slack's per-block and per-message limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.events import Action
from bot.message import Button, Message
from bot.text import split_text as shared_split

Block = dict[str, Any]

CHUNK = 2900  # what we put in one message's body, leaving room for entities
FALLBACK_LIMIT = 3000  # notification text, Slack truncates far later
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
CONTEXT_LIMIT = 2000
LABEL_LIMIT = 75
HOME_BLOCK_LIMIT = 100

_QUOTE = re.compile(r"^&gt; ", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6} +(.+)$", re.MULTILINE)
_LINK = re.compile(r"\[([^\]\n|]+)\]\((https?://[^\s)|]+)\)")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")

CLICK_NOTES: dict[str, tuple[str, frozenset[str]]] = {
    "advice.helpful": (
        "Marked helpful by {who}",
        frozenset({"advice.helpful", "advice.not_helpful"}),
    ),
    "advice.not_helpful": (
        "Marked not helpful by {who}",
        frozenset({"advice.helpful", "advice.not_helpful"}),
    ),
    "question.escalate": ("Escalated to the CAIO by {who}", frozenset({"question.escalate"})),
}
"""Buttons anyone may click, and the line that replaces them once clicked (with the buttons
of the same family that the click settles)."""


@dataclass(frozen=True)
class Rendered:
    """One Slack message: the notification text and its blocks."""

    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Slack's three control characters, so typed text can never become markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Markdown-ish neutral text → Slack mrkdwn, escaped; `> ` quotes and links survive."""
    out = escape(text)
    out = _QUOTE.sub("> ", out)
    out = _BOLD.sub(r"*\1*", out)
    out = _HEADING.sub(r"*\1*", out)
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", out)


def split_text(text: str, limit: int = CHUNK) -> list[str]:
    """Message-sized pieces that never cut an `&amp;` entity in two."""
    return shared_split(text, limit, unsafe_tail=_ENTITY_TAIL)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button(b: Button) -> Block:
    element: Block = {
        "type": "button",
        "action_id": b.action_id,
        "text": {"type": "plain_text", "text": _clip(b.label, LABEL_LIMIT), "emoji": True},
        "value": b.value,
    }
    if b.style:
        element["style"] = b.style
    return element


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def _tail_blocks(message: Message) -> list[Block]:
    blocks: list[Block] = []
    if message.fields:
        fields = [
            {"type": "mrkdwn", "text": _clip(f"*{escape(k)}*\n{mrkdwn(v)}", FIELD_LIMIT)}
            for k, v in message.fields
        ]
        for start in range(0, len(fields), 10):  # Slack: ten fields per section
            blocks.append({"type": "section", "fields": fields[start : start + 10]})
    for note in message.notes:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _clip(mrkdwn(note), CONTEXT_LIMIT)}],
            }
        )
    if message.actions:
        blocks.append({"type": "actions", "elements": [button(b) for b in message.actions]})
    return blocks


def render(message: Message) -> list[Rendered]:
    """One or more Slack messages: the title on the first, fields, notes and buttons on the
    last, the body split between them."""
    chunks = split_text(mrkdwn(message.text))
    rendered: list[Rendered] = []
    for n, chunk in enumerate(chunks):
        blocks: list[Block] = []
        text = chunk
        if n == 0 and message.title:
            blocks.append(
                {
                    "type": "header",
                    "text": {"type": "plain_text", "text": _clip(message.title, HEADER_LIMIT)},
                }
            )
            text = f"{escape(message.title)}\n{chunk}"
        if chunk:
            blocks.append(_section(chunk))
        if n == len(chunks) - 1:
            blocks.extend(_tail_blocks(message))
        rendered.append(Rendered(_clip(text or escape(message.plain), FALLBACK_LIMIT), blocks))
    return rendered


def is_progress(message: Message) -> bool:
    """A bare-text update (an answer still streaming): safe to skip when over budget,
    since a later update carries the newer text."""
    return not (message.title or message.fields or message.notes or message.actions)


def clicked(blocks: Sequence[Block], action: Action) -> list[Block] | None:
    """The message after a click: the settled buttons replaced by who clicked;
    None when this button does not settle anything on its own."""
    found = CLICK_NOTES.get(action.action_id)
    if found is None:
        return None
    note, family = found
    kept: list[Block] = []
    for block in blocks:
        if block.get("type") == "actions":
            elements = [e for e in block.get("elements", []) if e.get("action_id") not in family]
            if not elements:
                continue
            block = {**block, "elements": elements}
        kept.append(block)
    line = note.format(who=escape(action.actor.name))
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    return kept


def home_view(messages: Sequence[Message]) -> Block:
    """The App Home tab: each message a section of the view, divided."""
    blocks: list[Block] = []
    for n, message in enumerate(messages):
        if n:
            blocks.append({"type": "divider"})
        for part in render(message):
            blocks.extend(part.blocks)
    if len(blocks) > HOME_BLOCK_LIMIT:
        blocks = blocks[: HOME_BLOCK_LIMIT - 1]
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "(more not shown)"}]}
        )
    return {"type": "home", "blocks": blocks}
