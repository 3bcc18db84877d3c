"""What the core asks of a platform adapter: send, update, thread, react, DM, run."""

from __future__ import annotations

from typing import Protocol

from bot.events import Address
from bot.forms import Form
from bot.message import Message, Posted


class DeliveryError(Exception):
    """The platform refused a message for a reason a retry will not fix: DMs closed, the
    bot not in the channel, an archived or deleted channel or thread, a missing permission.

    `send`, `open_thread`, `send_direct` and `update` raise it; its text is a short phrase a
    user can act on ("the bot is not in that channel"), shown to them as it is. Failures a
    retry may fix (rate limits, outages) are retried by the vendor's client and surface as
    that client's own errors."""


class Adapter(Protocol):
    """A chat platform as the core sees it: the only surface through which the bot posts,
    so `bot/` and `commands/` never import a platform's SDK."""

    platform: str
    # Whether `update` is cheap and visible enough to stream an answer into one message.
    live_updates: bool

    async def send(self, message: Message) -> Posted:
        """Post `message` to `message.address` (a channel, or a thread when it has one)."""
        ...

    async def update(self, posted: Posted, message: Message) -> None:
        """Replace a message the bot posted earlier (streaming answers, clicked buttons)."""
        ...

    async def open_thread(self, root: Posted, title: str) -> Address:
        """The address of a thread under `root`, creating it where the platform needs to."""
        ...

    async def react(self, posted: Posted, emoji: str) -> None: ...

    async def permalink(self, address: Address) -> str:
        """A link (or, where the platform has none, a name) a reader can follow to `address`."""
        ...

    async def send_direct(self, workspace: str, user_id: str, message: Message) -> Posted:
        """A direct message; raises DeliveryError when the person cannot be reached."""
        ...

    async def has_member(self, workspace: str, user_id: str) -> bool:
        """Whether the person belongs to `workspace` (a Discord guild's member, a Slack
        team's user), asked of the platform: user ids are public, so one client must not
        be able to sign up another client's people."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Responder(Protocol):
    """Answers the inbound event that is being handled, the way its platform expects
    (Slack's `respond` for ephemerals, a Discord interaction follow-up, a console line)."""

    async def reply(self, message: Message) -> Posted | None: ...

    async def form(self, form: Form) -> bool:
        """Show `form` to the actor (`form.address` says where it was asked for); False when
        this platform or this moment cannot (the core then offers the one-line usage)."""
        ...

    async def took_effect(self) -> None:
        """The button being handled did what it says: a platform that shows everyone who
        clicked it (Slack's "Escalated to the CAIO by dana") shows it now, never for a
        click that was refused or failed."""
        ...
