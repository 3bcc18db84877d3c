"""Posting to Discord: rendered parts with their files, over an interaction or REST, to
channels, threads, forum posts and DMs; and editing them, long messages with their
continuation messages."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import discord
import structlog
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from adapters.discord import uploads
from adapters.discord.create_events import PLATFORM
from adapters.discord.refusals import as_delivery_errors
from adapters.discord.render import Part, render
from bot.adapter import DeliveryError
from bot.events import Address
from bot.message import Attachment, Message, Posted
from bot.text import shorten

if TYPE_CHECKING:
    from adapters.discord.connector import CaioClient
    from adapters.discord.responders import InteractionResponder

log = structlog.get_logger(__name__)

INVALID_TOKEN = 50027
EMOJI = {
    "white_check_mark": "✅",
    "eyes": "👀",
    "thumbsup": "👍",
    "+1": "👍",
    "x": "❌",
    "hourglass": "⏳",
    "tada": "🎉",
    "wave": "👋",
}
CONTINUATIONS_KEPT = 256
"""Long messages whose continuation messages are remembered, so edits reuse them."""

serving: ContextVar[InteractionResponder | None] = ContextVar("discord_interaction", default=None)
"""The interaction whose handler is running in this task, which its public answer completes."""


Post = Callable[[Part, list[discord.File]], Awaitable[discord.Message]]
"""Posts one rendered part with its files somewhere (a channel, a follow-up, a forum post)."""


def token_expired(error: discord.HTTPException) -> bool:
    """Discord's answer once an interaction token is past its 15 minutes (401, 50027)."""
    return error.status == 401 or error.code == INVALID_TOKEN


T = TypeVar("T")


def unavailable(error: BaseException) -> bool:
    return isinstance(error, discord.DiscordServerError) and error.status == 503


def extras(part: Part, files: list[discord.File]) -> dict[str, Any]:
    """The optional keyword arguments of a discord.py send: only those that are set."""
    extra: dict[str, Any] = {"view": part.view} if part.view is not None else {}
    if files:
        extra["files"] = files
    return extra


async def deliver(
    message: Message, post: Post, limit: int, home: str | None = None
) -> list[discord.Message]:
    """Post the rendered parts with the files on the last one (ten a message, more below it);
    files Discord would refuse, or did refuse, are named in a note in the same place.
    `home` is the guild a DM's buttons act for."""
    parts = render(message, home)
    planned = uploads.plan(message.files, limit)
    batches = planned.batches or [[]]
    notes = [uploads.too_big_note(planned.too_big, limit)] if planned.too_big else []
    sent: list[discord.Message] = []
    for n, part in enumerate(parts):
        sent += await _post_part(post, part, batches[0] if n == len(parts) - 1 else [], notes)
    for batch in batches[1:]:
        sent += await _post_part(post, Part(), batch, notes)
    for note in notes:
        sent.append(await post(Part(content=note), []))
    return sent


async def _post_part(
    post: Post, part: Part, batch: list[Attachment], notes: list[str]
) -> list[discord.Message]:
    if not batch:
        return [await post(part, [])]
    try:
        return [await post(part, uploads.as_files(batch))]
    except discord.HTTPException as e:
        if not uploads.rejected(e):
            raise
        log.warning("discord refused an upload", files=[f.filename for f in batch], code=e.code)
        notes.append(uploads.refused_note(batch, e.text or "request entity too large"))
        return [await post(part, [])] if part.content or part.embeds or part.view else []


def channel_of(where: Address) -> int:
    """The Discord channel a message to `where` goes to (a thread is a channel)."""
    return int(where.thread or where.channel)


class Delivery:
    """The Adapter methods the core posts through: over an interaction while it answers,
    else over REST to channels, threads, forum posts and DMs. Mixed into DiscordAdapter,
    which holds the state named below."""

    client: CaioClient
    backoff: float
    interaction_messages: weakref.WeakValueDictionary[str, InteractionResponder]
    _threads: dict[int, int]
    _dm_workspaces: dict[int, str]
    _forums: dict[int, discord.ForumChannel | None]
    _continuations: OrderedDict[str, list[int]]
    _login_settled: asyncio.Event
    _refused: str | None

    async def _after_login(self) -> None:
        """A post made while logging in waits for the login; once the token was refused,
        it fails at once."""
        await self._login_settled.wait()
        if self._refused is not None:
            raise DeliveryError(f"Discord is not connected ({self._refused})")

    def _remember_dm(self, channel_id: int, workspace: str) -> None:
        """Which guild a DM channel is now used for: DiscordAdapter keeps that."""
        raise NotImplementedError

    async def send(self, message: Message) -> Posted:
        await self._after_login()
        with as_delivery_errors():
            return await self._send(message)

    async def _send(self, message: Message) -> Posted:
        assert message.address is not None
        responder = serving.get()
        if responder is not None and responder.claims(message):
            try:
                return await responder.followup(message, private=False)
            except discord.HTTPException as e:
                if not token_expired(e):
                    raise
                responder.expired = True
                log.info("interaction expired; the reply goes over REST instead")
                posted = await self._send_over_rest(message)
                await responder.drop_placeholder()
                return posted
        return await self._send_over_rest(message)

    async def _send_over_rest(self, message: Message) -> Posted:
        assert message.address is not None
        forum = await self._forum(message.address)
        if forum is not None:
            return await self._forum_post(forum, message)
        channel_id = channel_of(message.address)

        async def post(part: Part, files: list[discord.File]) -> discord.Message:
            return await self._post(channel_id, part, files)

        limit = self._upload_limit(message.address.workspace)
        sent = await deliver(message, post, limit, self._home(message.address))
        return Posted(message.address, str(sent[0].id))

    def _home(self, where: Address) -> str | None:
        """The guild a DM channel's buttons act for (a click in a DM names no guild)."""
        return where.workspace if int(where.channel) in self._dm_workspaces else None

    async def _post(
        self, channel_id: int, part: Part, files: list[discord.File] | None = None
    ) -> discord.Message:
        channel = self.client.get_partial_messageable(channel_id)
        return await self._through_503(
            lambda: channel.send(
                content=part.content or None, embeds=part.embeds, **extras(part, files or [])
            )
        )

    async def _through_503(self, call: Callable[[], Awaitable[T]]) -> T:
        """discord.py tries 500, 502 and 504 again but not 503, Discord's "unavailable, try
        again shortly": a few more tries keep a short outage from costing a post."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(unavailable),
            stop=stop_after_attempt(4),
            wait=wait_exponential(multiplier=self.backoff, max=8 * self.backoff),
            reraise=True,
        ):
            with attempt:
                return await call()
        raise AssertionError("AsyncRetrying returns or raises")

    def _upload_limit(self, workspace: str) -> int:
        """The guild's upload size (its boost tier raises it); Discord's default otherwise."""
        guild = self.client.get_guild(int(workspace)) if workspace.isdigit() else None
        return guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES

    async def _forum(self, where: Address) -> discord.ForumChannel | None:
        """The forum channel `where` names, if it is one: from the gateway's cache, or asked
        of Discord once per channel (a `web` process has no cache)."""
        channel_id = int(where.channel)
        if where.thread is not None or channel_id in self._dm_workspaces:
            return None
        if channel_id not in self._forums:
            channel = self.client.get_channel(channel_id)
            if channel is None:
                channel = await self.client.fetch_channel(channel_id)
            forum = channel if isinstance(channel, discord.ForumChannel) else None
            self._forums[channel_id] = forum
        return self._forums[channel_id]

    async def _forum_post(self, forum: discord.ForumChannel, message: Message) -> Posted:
        """A message to a forum starts a post of its own; the post is the message's thread."""
        assert message.address is not None
        name = shorten(" ".join(p for p in (message.title, message.text) if p), 100)
        tags = list(forum.available_tags[:1]) if forum.flags.require_tag else []
        thread: discord.Thread | None = None

        async def post(part: Part, files: list[discord.File]) -> discord.Message:
            nonlocal thread
            if thread is not None:
                return await self._post(thread.id, part, files)
            created = await forum.create_thread(
                name=name or "caio-bot",
                content=part.content or None,
                embeds=part.embeds,
                applied_tags=tags,
                **extras(part, files),
            )
            thread = created.thread
            self._threads[thread.id] = forum.id
            return created.message

        sent = await deliver(message, post, self._upload_limit(message.address.workspace))
        assert thread is not None
        return Posted(message.address.in_thread(str(thread.id)), str(sent[0].id))

    async def _edit_clicked(self, posted: Posted, part: Part) -> bool:
        """A message whose button was clicked is edited through that click's interaction
        (Discord's UPDATE_MESSAGE route), which also reaches ephemeral and webhook messages."""
        responder = serving.get()
        if responder is None or not responder.clicked(posted):
            return False
        try:
            await responder.interaction.edit_original_response(
                content=part.content or None, embeds=part.embeds, view=part.view
            )
        except discord.HTTPException as e:
            if not token_expired(e):
                raise
            responder.expired = True
            return False
        return True

    async def update(self, posted: Posted, message: Message) -> None:
        """Edit in place; text that no longer fits one message continues below it, in
        messages posted once and edited by later updates."""
        await self._after_login()
        with as_delivery_errors():
            first, *rest = render(message, self._home(posted.address))
            if not await self._edit_clicked(posted, first):
                await self._edit(posted, first)
            await self._continue(posted, rest)

    async def _continue(self, posted: Posted, parts: list[Part]) -> None:
        """Edit the continuation messages already posted, post the missing ones and delete
        those the text no longer needs."""
        known = self._continuations.setdefault(posted.message_id, [])
        self._continuations.move_to_end(posted.message_id)
        while len(self._continuations) > CONTINUATIONS_KEPT:
            self._continuations.popitem(last=False)
        channel = self.client.get_partial_messageable(channel_of(posted.address))
        for n, part in enumerate(parts):
            if n < len(known) and await self._edited(channel.get_partial_message(known[n]), part):
                continue
            sent = await self._post(channel.id, part)
            known[n : n + 1] = [sent.id]
        for stale in known[len(parts) :]:
            with contextlib.suppress(discord.NotFound):
                await channel.get_partial_message(stale).delete()
        del known[len(parts) :]
        if not known:
            del self._continuations[posted.message_id]

    @staticmethod
    async def _edited(message: discord.PartialMessage, part: Part) -> bool:
        """Edit one continuation; False when someone deleted it, so it is posted again."""
        try:
            await message.edit(content=part.content or None, embeds=part.embeds, view=part.view)
        except discord.NotFound:
            return False
        return True

    async def _edit(self, posted: Posted, part: Part) -> None:
        """Through the interaction that posted it while its token lives, else over REST."""
        owner = self.interaction_messages.get(posted.message_id)
        if owner is not None and owner.live():
            try:
                await owner.interaction.followup.edit_message(
                    int(posted.message_id), content=part.content, embeds=part.embeds, view=part.view
                )
                return
            except discord.HTTPException as e:
                if not token_expired(e):
                    raise
                owner.expired = True
        channel = self.client.get_partial_messageable(channel_of(posted.address))
        await self._through_503(
            lambda: channel.get_partial_message(int(posted.message_id)).edit(
                content=part.content or None, embeds=part.embeds, view=part.view
            )
        )

    async def open_thread(self, root: Posted, title: str) -> Address:
        if root.address.thread is not None:
            return root.address
        await self._after_login()
        with as_delivery_errors():
            data = await self._through_503(
                lambda: self.client.http.start_thread_with_message(
                    int(root.address.channel),
                    int(root.message_id),
                    name=shorten(title, 100) or "caio-bot",
                    auto_archive_duration=1440,
                )
            )
        self._threads[int(data["id"])] = int(root.address.channel)
        return root.address.in_thread(str(data["id"]))

    async def permalink(self, address: Address) -> str:
        """Discord links a thread like a channel: guild, then the thread's own id."""
        return (
            f"https://discord.com/channels/{address.workspace}/{address.thread or address.channel}"
        )

    async def react(self, posted: Posted, emoji: str) -> None:
        await self._after_login()
        channel = self.client.get_partial_messageable(channel_of(posted.address))
        if emoji.isascii() and emoji not in EMOJI:
            log.warning("no Discord emoji for this name; using ✅", emoji=emoji)
        await channel.get_partial_message(int(posted.message_id)).add_reaction(
            EMOJI.get(emoji, emoji if not emoji.isascii() else "✅")
        )

    async def send_direct(self, workspace: str, user_id: str, message: Message) -> Posted:
        await self._after_login()
        with as_delivery_errors():
            dm = await self.client.http.start_private_message(int(user_id))
        self._remember_dm(int(dm["id"]), workspace)
        return await self.send(message.to(Address(PLATFORM, workspace, str(dm["id"]))))

    async def has_member(self, workspace: str, user_id: str) -> bool:
        """Asked of Discord (GET /guilds/{guild}/members/{user}; no privileged intent, and
        a `web` process has no member cache): 404 for anyone not in the guild."""
        if not (workspace.isdigit() and user_id.isdigit()):
            return False
        await self._after_login()
        try:
            await self.client.http.get_member(int(workspace), int(user_id))
        except discord.NotFound:
            return False
        return True
