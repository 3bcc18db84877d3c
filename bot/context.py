"""What a handler is given: who asked, for which client, where, and how to answer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.adapter import Responder
from bot.db.models import Client, Member
from bot.events import Actor, Address, Inbound
from bot.forms import Form
from bot.message import Message, Posted
from bot.permissions import allowed_roles, describe, may_run
from bot.registry import Spec

if TYPE_CHECKING:
    from bot.core import Bot


@dataclass
class Context:
    """One inbound event resolved to its client and member, so a handler needs no lookups
    and answers through `reply` without knowing the platform."""

    bot: Bot
    inbound: Inbound
    client: Client
    member: Member
    responder: Responder
    spec: Spec | None = None

    @property
    def actor(self) -> Actor:
        return self.inbound.actor

    @property
    def address(self) -> Address:
        return self.inbound.address

    @property
    def client_id(self) -> str:
        return self.client.id

    def may(self, command: str) -> bool:
        return may_run(self.member.role, command)

    async def reply(self, message: Message | str, *, ephemeral: bool = False) -> Posted | None:
        """Answer where the event happened; ephemeral replies are seen by the actor only."""
        if isinstance(message, str):
            message = Message(message)
        if message.address is None:
            message = message.to(self.address)
        if ephemeral:
            message = replace(message, ephemeral=True)
        return await self.responder.reply(message)

    async def post(self, message: Message) -> Posted:
        """Post to any conversation on any running platform (`message.address` says where)."""
        return await self.bot.send(message)

    async def form(self, form: Form) -> None:
        """Ask the actor to fill `form` in; where no form can be shown, say how to type it."""
        if not await self.responder.form(form.to(self.address)):
            usage = form.usage or (self.spec.usage if self.spec else "")
            await self.reply(f"Usage: `/caio {usage}`", ephemeral=True)

    async def usage(self, hint: str = "") -> None:
        """The short usage line of the current subcommand, privately."""
        assert self.spec is not None
        text = f"Usage: `/caio {self.spec.usage}`"
        if hint:
            text = f"{hint}\n{text}"
        await self.reply(text, ephemeral=True)

    async def took_effect(self) -> None:
        """See `Responder.took_effect`: called by a button's handler once it succeeded."""
        await self.responder.took_effect()

    async def refuse(self, command: str, doing: str | None = None) -> None:
        """Say who may; `doing` names what a button does, where no command of that name
        exists to quote."""
        what = doing or f"use `/caio {command}`"
        await self.reply(f"Only {describe(allowed_roles(command))} can {what}.", ephemeral=True)
