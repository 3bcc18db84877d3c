"""Neutral inbound events: what every adapter turns a platform payload into."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

_SEP = "|"


@dataclass(frozen=True)
class Address:
    """Where a message lives: (platform, workspace, channel, thread)."""

    platform: str
    workspace: str
    channel: str
    thread: str | None = None

    def in_thread(self, thread: str | None) -> Address:
        return replace(self, thread=thread)

    @property
    def root(self) -> Address:
        """The channel itself, outside any thread."""
        return replace(self, thread=None)

    @property
    def key(self) -> str:
        """A stable string form, used to store addresses and look threads up."""
        return _SEP.join([self.platform, self.workspace, self.channel, self.thread or ""])

    @classmethod
    def parse(cls, key: str) -> Address:
        platform, workspace, channel, thread = key.split(_SEP)
        return cls(platform, workspace, channel, thread or None)


@dataclass(frozen=True)
class Actor:
    """A person on a platform, as the platform names them."""

    platform: str
    id: str
    name: str
    platform_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """`/caio <text>`: the text after the command name."""

    text: str
    actor: Actor
    address: Address


@dataclass(frozen=True)
class Action:
    """A button click on one of our messages."""

    action_id: str
    value: str
    actor: Actor
    address: Address
    message_id: str


@dataclass(frozen=True)
class ThreadReply:
    """A plain message posted in a thread (the CAIO answering in the queue, say) or in a
    direct message with the bot (`direct`), where nobody else is listening."""

    text: str
    actor: Actor
    address: Address
    message_id: str = ""
    direct: bool = False
    files: tuple[str, ...] = ()
    """Names of files attached to it: not carried across, so a handler can say so."""


@dataclass(frozen=True)
class Mention:
    """The bot mentioned in a conversation; history is the thread so far, oldest first."""

    text: str
    actor: Actor
    address: Address
    history: tuple[str, ...] = field(default=())


Inbound = Command | Action | ThreadReply | Mention
