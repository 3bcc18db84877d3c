"""The Discord adapter: a discord.py gateway client, the `/caio` app commands, and the
Adapter methods the core posts through.

Interactions are acknowledged (deferred) at once, inside Discord's 3 s, and handled in the
background. The first public message the handler posts to the interaction's own channel
completes the deferred reply; everything else, and everything after the interaction token
expires (15 minutes), goes through the REST API to channels and threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import discord
import structlog
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from sqlmodel import col, select
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from adapters.discord import create_events, forms, uploads
from adapters.discord.create_events import PLATFORM, THREAD_TYPES
from adapters.discord.refusals import as_delivery_errors
from adapters.discord.render import ActionButton, Part, render
from bot import escalations
from bot.adapter import DeliveryError
from bot.db import fulltext
from bot.db.models import Client, Workspace
from bot.db.models_discord import DiscordDirectChannel
from bot.db.models_schedule import Prompt, Run
from bot.directory import client_for
from bot.events import Address, Command, Inbound
from bot.forms import Form
from bot.health import Health, State, reconnecting
from bot.message import Attachment, Message, Posted
from bot.roles import parse_role_map, use_role_map
from bot.text import shorten, terms
from config.settings import Settings

if TYPE_CHECKING:
    from bot.core import Bot

log = structlog.get_logger(__name__)

INVALID_TOKEN = 50027
HISTORY = 20
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
APOLOGY = "Sorry, something went wrong on our side. It has been logged."
LOGIN_TIMEOUT = 30.0
"""A login Discord does not answer counts as a failed attempt after this many seconds."""
TOKEN_REFUSED = (
    "login refused: DISCORD_TOKEN is not a valid bot token; "
    "reset it on the application's Bot page and set DISCORD_TOKEN again"
)
FATAL_CLOSES = {
    4004: "authentication failed — DISCORD_TOKEN was refused; reset it and set it again",
    4010: "invalid shard",
    4011: "sharding required",
    4012: "invalid API version — upgrade discord.py",
    4013: "invalid intents",
    4014: "disallowed intents — enable the Message Content intent "
    "(Developer Portal → Bot → Privileged Gateway Intents)",
}
"""The gateway close codes discord.py does not reconnect after, each with its fix."""

_current: ContextVar[InteractionResponder | None] = ContextVar("discord_interaction", default=None)

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


UNPLACED_DM = (
    "I work for several teams and can't tell which one this message is for. "
    "Use `/caio` in your team's server, e.g. `/caio ask <question>`."
)
WHICH_TEAM = "discord.dm-for"
"""The action of the "which team is this for?" buttons, handled here rather than by the core:
the value is the id of the person's DM message, the button's guild the team they chose."""
SENT_DMS_KEPT = 4096
"""The bot's own DM messages whose guild is remembered, so a reply to one finds its team."""
UNPLACED_INTERACTION = (
    "I can't tell which team this is for here. "
    "Use `/caio` in your team's server, e.g. `/caio ask <question>`."
)


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """A short private answer when a callback failed, instead of Discord's "The application
    did not respond"; autocomplete has no way to say it."""
    if interaction.type == discord.InteractionType.autocomplete:
        return
    try:
        if interaction.response.is_done():
            await interaction.followup.send(APOLOGY, ephemeral=True)
        else:
            await interaction.response.send_message(APOLOGY, ephemeral=True)
    except discord.HTTPException as e:
        log.warning("could not apologise for a failed interaction", error=str(e))


def closed_because(error: Exception) -> str:
    """Why the gateway stopped for good, in words that name the fix."""
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return f"gateway closed: {FATAL_CLOSES[4014]}"
    if isinstance(error, discord.ConnectionClosed):
        return f"gateway closed: {FATAL_CLOSES.get(error.code, f'close code {error.code}')}"
    return f"gateway failed: {type(error).__name__}: {error}"


def intents() -> discord.Intents:
    """Guilds (channels, roles, threads), guild and DM messages, and their content."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


def use_endpoints(settings: Settings) -> None:
    """Point discord.py at other servers (DISCORD_API_URL, DISCORD_GATEWAY_URL)."""
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def channel_of(where: Address) -> int:
    """The Discord channel a message to `where` goes to (a thread is a channel)."""
    return int(where.thread or where.channel)


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


class CaioTree(app_commands.CommandTree["CaioClient"]):
    """The `/caio` tree; a failing callback still answers the person, privately."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else None
        log.error("discord command failed", command=command, exc_info=error)
        await apologise(interaction)


class CaioClient(discord.Client):
    """discord.py's client, with the `/caio` command tree and our persistent buttons.

    It never pings: questions are echoed as they were typed, so an "@everyone" or a role
    mention in one must not notify anybody, and the core never means a ping (it names
    people as "@name", which Discord shows as plain text)."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())
        self.adapter = adapter
        self.tree = CaioTree(self)
        self.tree.add_command(caio_group(adapter))
        self.add_dynamic_items(ActionButton)

    async def on_connect(self) -> None:
        # READY arrived: the session is up (discord.py's on_ready waits ~2 s more for guilds).
        self.adapter.gateway_up()

    async def on_resumed(self) -> None:
        self.adapter.gateway_up()

    async def on_disconnect(self) -> None:
        self.adapter.gateway_down()

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.adapter.sync_guild(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter.sync_guild(guild)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

    async def on_click(
        self,
        interaction: discord.Interaction[Any],
        action_id: str,
        value: str,
        home: str | None = None,
    ) -> None:
        await self.adapter.on_click(interaction, action_id, value, home)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if forms.is_ours(interaction):
            await self.adapter.on_form_submitted(interaction)


class DiscordAdapter:
    platform = PLATFORM
    live_updates = True

    def __init__(
        self,
        bot: Bot,
        *,
        gateway: bool = True,
        health: Health | None = None,
        backoff: float = 1.0,
    ) -> None:
        self.bot = bot
        self.gateway = gateway
        self.health = health or Health()
        self.backoff = backoff
        """Seconds before the first login retry; later ones double, up to 120 times it."""
        self.settings = bot.settings
        use_endpoints(self.settings)
        use_role_map(PLATFORM, parse_role_map(self.settings.discord_roles))
        self.client = CaioClient(self)
        self._running: asyncio.Task[None] | None = None
        self._login_settled = asyncio.Event()
        self._refused: str | None = None
        self._threads: dict[int, int] = {}
        self._synced: set[int] = set()
        self.interaction_messages: weakref.WeakValueDictionary[str, InteractionResponder] = (
            weakref.WeakValueDictionary()
        )
        """Messages posted through an interaction are edited through it while it lives."""
        self._dm_workspaces: dict[int, str] = {}
        self._dm_sent: OrderedDict[int, str] = OrderedDict()
        """The guild each recent DM message of ours was sent for (in memory only: after a
        restart a reply to one is placed as any other DM reply)."""
        self._forums: dict[int, discord.ForumChannel | None] = {}
        self._continuations: OrderedDict[str, list[int]] = OrderedDict()
        """The messages a long message continues in, by its first message's id: each step
        of a streamed answer edits them instead of posting them again. In memory only, as
        only streaming edits a long message within seconds of posting it."""

    # -- lifecycle -------------------------------------------------------------------------
    async def login(self) -> None:
        """REST only: who we are, our application id (enough for command sync)."""
        assert self.settings.discord_token is not None, "DISCORD_TOKEN is not set"
        await self.client.login(self.settings.discord_token.get_secret_value())

    async def start(self) -> None:
        """Log in and connect in the background: a Discord outage at deploy time must not
        stop Slack and the scheduler, which run in the same process."""
        self.health.report(PLATFORM, State.STARTING, "logging in")
        self._running = asyncio.create_task(self._run(), name="discord-gateway")

    async def stop(self) -> None:
        if self._running is not None:
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running
        await self.client.close()

    async def _run(self) -> None:
        if not await self._log_in():
            return
        if not self.gateway:
            self.health.report(PLATFORM, State.UP)
            return
        self.health.report(PLATFORM, State.STARTING, "connecting to the gateway")
        try:
            # discord.py reconnects after transient closes; it raises only for good.
            await self.client.connect(reconnect=True)
        except (discord.PrivilegedIntentsRequired, discord.ConnectionClosed) as e:
            self._fail(closed_because(e))
        except Exception as e:
            log.exception("the Discord gateway failed")
            self._fail(closed_because(e))

    async def _log_in(self) -> bool:
        """Log in, retrying with backoff while Discord cannot be reached; False once it
        refused the token, which no retry will fix."""
        retrying = reconnecting(
            self.health,
            PLATFORM,
            "log in",
            self.backoff,
            retry=retry_if_not_exception_type(discord.LoginFailure),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._attempt_login()
        except discord.LoginFailure:
            self._refused = TOKEN_REFUSED
            self._fail(TOKEN_REFUSED)
            return False
        finally:
            self._login_settled.set()  # posts waiting for the login go, or fail, now
        log.info("discord logged in", attempts=retrying.statistics["attempt_number"])
        return True

    async def _attempt_login(self) -> None:
        """One login. A failed one leaves its HTTP session open, so that client is closed
        and the next attempt gets a fresh one."""
        try:
            await asyncio.wait_for(self.login(), LOGIN_TIMEOUT)
        except Exception:
            await self.client.close()
            self.client = CaioClient(self)
            raise

    def _fail(self, reason: str) -> None:
        """Discord is off until the operator acts: say what to do, where it will be seen."""
        log.error("discord is down until the operator acts", reason=reason)
        self.health.report(PLATFORM, State.FAILED, reason)

    def gateway_up(self) -> None:
        self.health.report(PLATFORM, State.UP)

    def gateway_down(self) -> None:
        self.health.report(PLATFORM, State.DOWN, "gateway disconnected, reconnecting")

    async def _after_login(self) -> None:
        """A post made while logging in waits for the login; once the token was refused,
        it fails at once."""
        await self._login_settled.wait()
        if self._refused is not None:
            raise DeliveryError(f"Discord is not connected ({self._refused})")

    async def sync_guild(self, guild: discord.abc.Snowflake) -> None:
        """Register `/caio` in one guild: visible at once, unlike a global sync."""
        if not self.settings.discord_sync_guilds or guild.id in self._synced:
            return
        self.client.tree.copy_global_to(guild=guild)
        synced = await self.client.tree.sync(guild=guild)
        self._synced.add(guild.id)  # once per process: a reconnect replays GUILD_CREATE
        log.info("discord commands synced", guild=guild.id, count=len(synced))

    async def sync_global(self) -> int:
        return len(await self.client.tree.sync())

    # -- Adapter ---------------------------------------------------------------------------
    async def send(self, message: Message) -> Posted:
        await self._after_login()
        with as_delivery_errors():
            return await self._send(message)

    async def _send(self, message: Message) -> Posted:
        assert message.address is not None
        responder = _current.get()
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
        home = self._home(message.address)
        sent = await deliver(message, post, limit, home)
        if home is not None:
            for part in sent:
                self._dm_sent[part.id] = home
            while len(self._dm_sent) > SENT_DMS_KEPT:
                self._dm_sent.popitem(last=False)
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
        responder = _current.get()
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

    # -- inbound ---------------------------------------------------------------------------
    async def on_command(
        self, interaction: discord.Interaction[Any], text: str, *, private: bool
    ) -> None:
        if interaction.guild_id is None:
            # `/caio` is guild-only; should Discord deliver one from a DM anyway, say where.
            await interaction.response.send_message(UNPLACED_INTERACTION, ephemeral=True)
            return
        responder = InteractionResponder(self, interaction)
        inbound = create_events.command(interaction, text)
        if await self._opened_form(inbound, responder):
            return
        await responder.defer(private=private, thinking=True)
        self._serve(inbound, responder, f"discord-command-{interaction.id}")

    async def _opened_form(self, inbound: Command, responder: InteractionResponder) -> bool:
        """A modal must be the interaction's first answer: ask the core before deferring."""
        try:
            form = await self.bot.form_for(inbound, responder)
        except Exception:
            log.exception("could not prepare the form; running the command as typed")
            return False
        if form is None:
            return False
        await responder.interaction.response.send_modal(forms.modal_for(form))
        return True

    async def on_form_submitted(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild_id is None:
            await interaction.response.send_message(UNPLACED_INTERACTION, ephemeral=True)
            return
        responder = InteractionResponder(self, interaction)
        await responder.defer(private=False, thinking=True)
        self._serve(forms.submission(interaction), responder, f"discord-form-{interaction.id}")

    async def on_click(
        self,
        interaction: discord.Interaction[Any],
        action_id: str,
        value: str,
        home: str | None = None,
    ) -> None:
        """A button; in a DM it acts for the guild its custom id names (`home`), else for
        the guild that DM channel was last used for, else it says where to go instead."""
        if action_id == WHICH_TEAM:
            await self._file_dm(interaction, value, home)
            return
        where = await self._place(interaction, home)
        if where is None:
            await interaction.response.send_message(UNPLACED_INTERACTION, ephemeral=True)
            return
        responder = InteractionResponder(self, interaction, where)
        await responder.defer(private=True, thinking=False)
        inbound = create_events.action(interaction, action_id, value, where)
        self._serve(inbound, responder, f"discord-click-{interaction.id}")

    async def _place(
        self, interaction: discord.Interaction[Any], home: str | None
    ) -> Address | None:
        """Where an interaction happened, a DM placed in its guild; None if unknown."""
        if interaction.guild_id is not None or interaction.channel_id is None:
            return create_events.interaction_address(interaction)
        workspace = home or await self._dm_workspace(interaction.channel_id, interaction.user)
        if workspace is None:
            log.info("DM interaction for no guild we know", user=interaction.user.id)
            return None
        return Address(PLATFORM, workspace, str(interaction.channel_id))

    def _serve(self, inbound: Inbound, responder: InteractionResponder, name: str) -> None:
        async def serve() -> None:
            _current.set(responder)
            await self.bot.dispatch(inbound, responder)
            await responder.finish()

        self.bot.spawn(serve(), name=name)

    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or create_events.ignored(message, me.id):
            return
        inbound = await self._inbound(message, me.id)
        if inbound is None:
            return
        responder = ChannelResponder(self, inbound.address, str(message.author.id))
        self.bot.spawn(self.bot.dispatch(inbound, responder), name=f"discord-msg-{message.id}")

    async def _inbound(self, message: discord.Message, bot_id: int) -> Inbound | None:
        if message.guild is None:
            workspace = await self._dm_team(message)
            if workspace is None:
                return None
            where = Address(PLATFORM, workspace, str(message.channel.id))
            return create_events.thread_reply(message, where)
        parent = await self._thread_parent(message.channel)
        where = Address(PLATFORM, str(message.guild.id), str(parent or message.channel.id))
        if parent is not None:
            where = where.in_thread(str(message.channel.id))
        if create_events.mentions_bot(message, bot_id):
            history = await self._history(message, bot_id) if parent else ()
            return create_events.mention(message, bot_id, where, history)
        if parent is not None:
            return create_events.thread_reply(message, where)
        return None

    async def _dm_team(self, message: discord.Message) -> str | None:
        """The guild a DM is for. One DM channel serves every guild the person shares with
        the bot, so a reply to one of our DMs is for that DM's guild; else, while check-in
        prompts of several guilds are open there, the person is asked which (None: asked,
        or no guild to hand it to); else the guild of the only open prompt, else the one
        the channel was last used for."""
        reference = message.reference.message_id if message.reference else None
        replied_to = self._dm_sent.get(reference) if reference is not None else None
        if replied_to is not None:
            return replied_to
        waiting = await self._prompting(message.channel.id)
        if len(waiting) > 1:
            await self._ask_which_team(message, waiting)
            return None
        if waiting:
            return next(iter(waiting))
        workspace = await self._dm_workspace(message.channel.id, message.author)
        if workspace is None:
            # No team to hand it to: say where to ask rather than stay silent.
            log.info("DM from someone in no guild we know", user=message.author.id)
            await message.channel.send(UNPLACED_DM)
        return workspace

    async def _prompting(self, channel_id: int) -> dict[str, str]:
        """The guilds (→ their client's name) with a stand-up or check-in prompt in this DM
        channel whose answer window is still open."""
        async with self.bot.db.session() as session:
            linked = {
                Address(PLATFORM, w.external_id, str(channel_id)).key: w
                for w in await session.exec(select(Workspace).where(Workspace.platform == PLATFORM))
            }
            if not linked:
                return {}
            keys = await session.exec(
                select(Prompt.reply_key)
                .join(Run, col(Run.id) == col(Prompt.run_id))
                .where(col(Prompt.reply_key).in_(list(linked)), col(Run.summarised_at).is_(None))
                .distinct()
            )
            found = [linked[k] for k in keys]
            clients = {
                c.id: c.name
                for c in await session.exec(
                    select(Client).where(col(Client.id).in_({w.client_id for w in found}))
                )
            }
        named = {w.external_id: clients.get(w.client_id, w.client_id) for w in found}
        return dict(sorted(named.items(), key=lambda item: item[1].lower()))

    async def _ask_which_team(self, message: discord.Message, teams: dict[str, str]) -> None:
        """One button per team; the text stays in the person's own message, which the
        click reads back, so nothing is lost and nothing is kept here."""
        view = discord.ui.View(timeout=None)
        for guild, name in teams.items():
            style = discord.ButtonStyle.primary
            view.add_item(
                ActionButton(WHICH_TEAM, str(message.id), shorten(name, 80), style, guild)
            )
        names = " and ".join(teams.values())
        text = (
            f"You have open check-ins from {names}. Which team is this answer for?\n"
            "-# Replying to the prompt itself (Discord's *Reply*) files it without asking."
        )
        await self._post(message.channel.id, Part(content=text, view=view))

    async def _file_dm(
        self, interaction: discord.Interaction[Any], message_id: str, home: str | None
    ) -> None:
        """The team was chosen: the person's DM message is handled as a reply in that
        guild, as if it had been placed there at once."""
        channel_id = interaction.channel_id
        if interaction.guild_id is not None or home is None or channel_id is None:
            await interaction.response.send_message(UNPLACED_INTERACTION, ephemeral=True)
            return
        await interaction.response.defer()
        channel = self.client.get_partial_messageable(channel_id)
        try:
            original = await channel.fetch_message(int(message_id))
        except discord.NotFound:
            original = None
        if original is None or original.author.id != interaction.user.id:
            await interaction.followup.send(
                "That message is gone: send your answer again.", ephemeral=True
            )
            return
        async with self.bot.db.session() as session:
            client = await client_for(session, PLATFORM, home)
        await interaction.edit_original_response(
            content=f"Filed under {client.name if client else 'that team'}.", view=None
        )
        where = Address(PLATFORM, home, str(channel_id))
        inbound = create_events.thread_reply(original, where)
        responder = ChannelResponder(self, where, str(interaction.user.id))
        self.bot.spawn(self.bot.dispatch(inbound, responder), name=f"discord-dm-{message_id}")

    async def _thread_parent(self, channel: Any) -> int | None:
        """The parent of a thread (None for a plain channel), asking Discord when the
        gateway cache does not know the channel (a thread we opened by REST)."""
        if isinstance(channel, discord.Thread):
            return channel.parent_id
        if channel.id in self._threads:
            return self._threads[channel.id]
        if isinstance(channel, discord.PartialMessageable):
            fetched = await self.client.fetch_channel(channel.id)
            if isinstance(fetched, discord.Thread) and fetched.type in THREAD_TYPES:
                self._threads[channel.id] = fetched.parent_id
                return fetched.parent_id
        return None

    async def _history(self, message: discord.Message, bot_id: int) -> tuple[str, ...]:
        channel = self.client.get_partial_messageable(message.channel.id)
        earlier = [m async for m in channel.history(limit=HISTORY, before=message)]
        return tuple(create_events.history_line(m, bot_id) for m in reversed(earlier))

    def _remember_dm(self, channel_id: int, workspace: str) -> None:
        """The guild this DM channel is now used for, also written to the database (in the
        background, so a burst of stand-up prompts does not wait on it) so that a reply after
        a restart still finds its client. One DM channel serves every guild the person
        shares with the bot; the latest use wins."""
        if self._dm_workspaces.get(channel_id) == workspace:
            return
        self._dm_workspaces[channel_id] = workspace

        async def store() -> None:
            async with self.bot.db.session() as session:
                row = DiscordDirectChannel(channel_id=str(channel_id), guild_id=workspace)
                await session.merge(row)
                await session.commit()

        self.bot.spawn(store(), name=f"discord-dm-{channel_id}")

    async def _dm_workspace(
        self, channel_id: int, person: discord.User | discord.Member
    ) -> str | None:
        """The guild a DM channel was last used for (kept in the database), else the only
        guild the bot shares with the person; None when that cannot be told."""
        known = self._dm_workspaces.get(channel_id)
        if known is None:
            async with self.bot.db.session() as session:
                row = await session.get(DiscordDirectChannel, str(channel_id))
            known = row.guild_id if row is not None else None
        if known is not None:
            self._dm_workspaces[channel_id] = known
            return known
        shared = person.mutual_guilds or self.client.guilds
        return str(shared[0].id) if len(shared) == 1 else None

    # -- autocomplete ----------------------------------------------------------------------
    async def escalation_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """The open escalations this person may answer here (none for anyone else, as the
        questions may be confidential)."""
        here = create_events.interaction_address(interaction)
        actor = create_events.actor(interaction.user)
        return [
            app_commands.Choice(name=shorten(f"#{e.id} {e.question}", 100), value=e.id or 0)
            for e in await escalations.answerable(self.bot, actor, here, current)
        ]

    async def advice_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """What was asked before that matches what is being typed, so searches hit."""
        if not terms(current):
            return []
        async with self.bot.db.session() as session:
            client = await client_for(session, PLATFORM, str(interaction.guild_id))
            if client is None:
                return []
            questions = await fulltext.asked_before(session, client.id, current)
        typed = [shorten(current.strip(), 100)]
        return [
            app_commands.Choice(name=q, value=q)
            for q in dict.fromkeys(typed + [shorten(q, 100) for q in questions])
        ][:25]

    def usage_choices(self, current: str) -> list[app_commands.Choice[str]]:
        specs = self.bot.registry.commands.values()
        lowered = current.lower().strip()
        return [
            app_commands.Choice(name=shorten(s.usage, 100), value=shorten(s.name + " ", 100))
            for s in specs
            if not s.hidden and (not lowered or s.name.startswith(lowered.split(" ")[0]))
        ][:25]


def caio_group(adapter: DiscordAdapter) -> app_commands.Group:
    """`/caio …`: the chat grammar as typed subcommands; `/caio run` reaches the rest."""
    summaries = {n: s.summary for n, s in adapter.bot.registry.commands.items()}

    def about(name: str, fallback: str) -> str:
        return shorten(summaries.get(name, fallback), 100)

    group = app_commands.Group(
        name="caio",
        description="Advice from your CAIO's playbook",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    @group.command(name="ask", description=about("ask", "Ask for advice"))
    @app_commands.describe(question="What would you like to know?")
    async def ask(
        interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 4000]
    ) -> None:
        await adapter.on_command(interaction, f"ask {question}", private=False)

    @group.command(name="escalate", description=about("escalate", "Ask the CAIO directly"))
    @app_commands.describe(question="What should the CAIO answer?")
    async def escalate(
        interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 4000]
    ) -> None:
        await adapter.on_command(interaction, f"escalate {question}", private=False)

    @group.command(name="answer", description=about("answer", "Answer an escalation"))
    @app_commands.describe(id="The escalation number", text="Your answer")
    async def answer(
        interaction: discord.Interaction[Any],
        id: app_commands.Range[int, 1],
        text: app_commands.Range[str, 1, 4000],
    ) -> None:
        await adapter.on_command(interaction, f"answer {id} {text}", private=True)

    @answer.autocomplete("id")
    async def answer_ids(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        return await adapter.escalation_choices(interaction, current)

    @group.command(name="advice", description=about("advice", "The advice log"))
    @app_commands.describe(
        search="Words to look for", mine="Only advice you received", user="A teammate's advice"
    )
    async def advice(
        interaction: discord.Interaction[Any],
        search: str | None = None,
        mine: bool = False,
        user: discord.User | None = None,
    ) -> None:
        text = "advice"
        if search:
            text += f" search {search}"
        elif mine:
            text += " mine"
        elif user is not None:
            text += f" @{user.id}"
        await adapter.on_command(interaction, text, private=True)

    @advice.autocomplete("search")
    async def advice_terms(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await adapter.advice_choices(interaction, current)

    @group.command(name="help", description=about("help", "What caio-bot can do"))
    @app_commands.describe(topic="A subcommand, e.g. ask")
    async def show_help(interaction: discord.Interaction[Any], topic: str | None = None) -> None:
        await adapter.on_command(interaction, f"help {topic or ''}", private=True)

    @show_help.autocomplete("topic")
    async def help_topics(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        heads = adapter.bot.registry.heads()
        return [app_commands.Choice(name=h, value=h) for h in heads if h.startswith(current)][:25]

    @group.command(name="run", description="Any other /caio subcommand, typed as in chat")
    @app_commands.describe(text="e.g. standup setup daily 09:30")
    async def run(
        interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, 4000]
    ) -> None:
        private = adapter.bot.registry.private(text)
        await adapter.on_command(interaction, text, private=private)

    @run.autocomplete("text")
    async def run_usages(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return adapter.usage_choices(current)

    return group
