"""Who answers an inbound event: the interaction that started it (deferred reply, then
follow-ups, by DM once its token expired), or the channel of a plain message."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
import structlog

from adapters.discord import create_events
from adapters.discord.delivery import channel_of, deliver, extras, token_expired
from adapters.discord.render import Part
from bot.adapter import DeliveryError
from bot.events import Address
from bot.forms import Form
from bot.message import Message, Posted

if TYPE_CHECKING:
    from adapters.discord.connector import DiscordAdapter

log = structlog.get_logger(__name__)


class InteractionResponder:
    """Answers one interaction: the deferred reply first, then follow-ups; once the token has
    expired, private replies go by DM because nothing else can reach only that person."""

    def __init__(
        self,
        adapter: DiscordAdapter,
        interaction: discord.Interaction[Any],
        address: Address | None = None,
    ) -> None:
        self.adapter = adapter
        self.interaction = interaction
        self.address = address or create_events.interaction_address(interaction)
        """Where it happened; for a DM, in the guild it was placed in."""
        self.pending = False
        self.pending_private = False
        self.expired = False
        """Discord answered 401 / 50027: the token is gone even if our clock disagrees."""
        self.placeholder: int | None = None
        """The "thinking…" message's id, which Discord returns with the deferral."""

    async def defer(self, *, private: bool, thinking: bool) -> None:
        callback = await self.interaction.response.defer(ephemeral=private, thinking=thinking)
        self.placeholder = callback.message_id if callback is not None else None
        self.pending = thinking
        self.pending_private = private

    async def drop_placeholder(self) -> None:
        """Past the token's 15 minutes "thinking…" can no longer be edited or removed through
        the interaction, so the bot deletes it as its own message once the answer went over
        REST; otherwise it would spin above the answer for good. An ephemeral one cannot be
        reached and fades on its own."""
        if not self.pending or self.pending_private or self.placeholder is None:
            return
        self.pending = False
        channel = self.adapter.client.get_partial_messageable(channel_of(self.address))
        try:
            await channel.get_partial_message(self.placeholder).delete()
        except discord.HTTPException as e:
            log.warning("the expired placeholder could not be removed", error=str(e))

    def live(self) -> bool:
        return not self.expired and not self.interaction.is_expired()

    def clicked(self, posted: Posted) -> bool:
        """Whether `posted` is the message whose button started this interaction."""
        message = self.interaction.message
        return (
            self.interaction.type == discord.InteractionType.component
            and message is not None
            and str(message.id) == posted.message_id
            and self.live()
        )

    def claims(self, message: Message) -> bool:
        """Whether `message` is the answer the user is waiting for under "thinking…"."""
        return (
            self.pending
            and not self.pending_private
            and message.address is not None
            and channel_of(message.address) == self.interaction.channel_id
            and self.live()
        )

    async def reply(self, message: Message) -> Posted | None:
        if not message.ephemeral:
            return await self.adapter.send(message)
        if self.live():
            try:
                return await self._private(message)
            except discord.HTTPException as e:
                if not token_expired(e):
                    raise
                self.expired = True
        return await self._private_elsewhere(message)

    async def _private(self, message: Message) -> Posted:
        if self.pending and not self.pending_private:
            await self.interaction.delete_original_response()
            self.pending = False
        return await self.followup(message, private=True)

    async def _private_elsewhere(self, message: Message) -> Posted:
        """Past the token's 15 minutes only a DM reaches just this person; with DMs closed,
        the reply goes where they asked rather than nowhere."""
        user = str(self.interaction.user.id)
        try:
            return await self.adapter.send_direct(self.address.workspace, user, message)
        except DeliveryError:
            log.info("private reply posted where it was asked: DMs closed", user=user)
            where = message.address or self.address
            return await self.adapter.send(replace(message, ephemeral=False).to(where))

    async def followup(self, message: Message, *, private: bool) -> Posted:
        async def post(part: Part, files: list[discord.File]) -> discord.Message:
            sent = await self.interaction.followup.send(
                part.content,
                embeds=part.embeds,
                ephemeral=private,
                wait=True,
                **extras(part, files),
            )
            self.pending = False
            return sent

        home = self.address.workspace if self.interaction.guild_id is None else None
        sent = await deliver(message, post, self.interaction.filesize_limit, home)
        first = Posted(message.address or self.address, str(sent[0].id))
        self.adapter.interaction_messages[first.message_id] = self
        return first

    async def form(self, form: Form) -> bool:
        """Too late once deferred: Discord opens a modal only as the first answer, which
        `DiscordAdapter.on_command` gives when the core says the command opens one."""
        return False

    async def took_effect(self) -> None:
        """Nothing to settle: a handler that changes the clicked message edits it."""

    async def finish(self) -> None:
        """Nothing was said: take "thinking…" away rather than leave it spinning."""
        if self.pending and self.live():
            try:
                await self.interaction.delete_original_response()
                self.pending = False
            except discord.HTTPException as e:
                if not token_expired(e):
                    raise
                self.expired = True
        await self.drop_placeholder()


class ChannelResponder:
    """Answers a plain message (a mention, a thread reply, a DM): in its channel, and
    privately by DM when the handler asks for privacy."""

    def __init__(self, adapter: DiscordAdapter, where: Address, user_id: str) -> None:
        self.adapter = adapter
        self.where = where
        self.user_id = user_id

    async def form(self, form: Form) -> bool:
        """A plain message has no interaction to open a modal with."""
        return False

    async def took_effect(self) -> None:
        """A plain message has no button being handled."""

    async def reply(self, message: Message) -> Posted | None:
        if message.ephemeral and self.where.thread is not None:
            try:
                return await self.adapter.send_direct(self.where.workspace, self.user_id, message)
            except DeliveryError:
                log.info("private reply posted in the thread: DMs closed", user=self.user_id)
        return await self.adapter.send(message.to(message.address or self.where))
