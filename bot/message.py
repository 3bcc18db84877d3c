"""The platform-neutral outgoing message, which each adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from bot.events import Address


@dataclass(frozen=True)
class Button:
    """An action under a message; `action_id` picks the handler, `value` carries its argument."""

    action_id: str
    label: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True)
class Message:
    """Markdown-ish text with optional fields, small-print notes and buttons."""

    text: str
    address: Address | None = None
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    actions: tuple[Button, ...] = ()
    ephemeral: bool = False
    files: tuple[Attachment, ...] = field(default=())

    def to(self, address: Address) -> Message:
        return replace(self, address=address)

    @property
    def plain(self) -> str:
        """Everything a reader would see, as one string (for logs, search and tests)."""
        parts = [self.title] if self.title else []
        parts.append(self.text)
        parts.extend(f"{k}: {v}" for k, v in self.fields)
        parts.extend(self.notes)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Attachment:
    """A file to upload with a message (a report's chart, say)."""

    filename: str
    content: bytes
    title: str = ""


@dataclass(frozen=True)
class Posted:
    """A message the platform accepted: where it is and its platform id."""

    address: Address
    message_id: str

    @property
    def key(self) -> str:
        """A stable string form, to store which message a later process must edit."""
        return f"{self.address.key}|{self.message_id}"

    @classmethod
    def parse(cls, key: str) -> Posted:
        address, _, message_id = key.rpartition("|")
        return cls(Address.parse(address), message_id)
