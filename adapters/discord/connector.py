"""The Discord adapter: the discord.py gateway client, its lifecycle, and the inbound
events it turns into the core's (app commands, buttons, forms, messages, DMs placed in
their guild). Posting is in `delivery`, the responders in `responders`, `/caio` in
`commands`.

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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
import structlog
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from sqlmodel import col, select
from tenacity import retry_if_not_exception_type

from adapters.discord import create_events, forms, mentions
from adapters.discord.commands import apologise, caio_group
from adapters.discord.create_events import PLATFORM, THREAD_TYPES
from adapters.discord.delivery import Delivery, serving
from adapters.discord.render import ActionButton, Part
from adapters.discord.responders import ChannelResponder, InteractionResponder
from bot.db.models import Client, Workspace
from bot.db.models_discord import DiscordDirectChannel
from bot.db.models_schedule import Prompt, PromptMessage, Run
from bot.directory import client_for
from bot.events import Address, Command, Inbound
from bot.health import Health, State, reconnecting
from bot.roles import parse_role_map, use_role_map
from bot.text import shorten
from config.settings import Settings

if TYPE_CHECKING:
    from bot.core import Bot

log = structlog.get_logger(__name__)

HISTORY = 20
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


UNPLACED_DM = (
    "I work for several teams and can't tell which one this message is for. "
    "Use `/caio` in your team's server, e.g. `/caio ask <question>`."
)
WHICH_TEAM = "discord.dm-for"
"""The action of the "which team is this for?" buttons, handled here rather than by the core:
the value is the id of the person's DM message, the button's guild the team they chose."""
UNPLACED_INTERACTION = (
    "I can't tell which team this is for here. "
    "Use `/caio` in your team's server, e.g. `/caio ask <question>`."
)


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


class DiscordAdapter(Delivery):
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

    # -- inbound ---------------------------------------------------------------------------
    async def on_command(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        *,
        private: bool,
        prose: bool = False,
    ) -> None:
        """`prose`: the text is someone's words for others to read (a question, an answer),
        so mentions typed into it are named; a command line keeps them as ids."""
        if interaction.guild_id is None:
            # `/caio` is guild-only; should Discord deliver one from a DM anyway, say where.
            await interaction.response.send_message(UNPLACED_INTERACTION, ephemeral=True)
            return
        responder = InteractionResponder(self, interaction)
        inbound = create_events.command(interaction, text)
        if await self._opened_form(inbound, responder):
            return
        await responder.defer(private=private, thinking=True)
        if prose:
            # After the defer: naming a member may take a REST call, and Discord waits 3 s.
            inbound = replace(inbound, text=await mentions.named(interaction.guild, inbound.text))
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
            serving.set(responder)
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
            return create_events.thread_reply(message, where, bot_id)
        parent = await self._thread_parent(message.channel)
        where = Address(PLATFORM, str(message.guild.id), str(parent or message.channel.id))
        if parent is not None:
            where = where.in_thread(str(message.channel.id))
        if create_events.mentions_bot(message, bot_id):
            history = await self._history(message, bot_id) if parent else ()
            return create_events.mention(message, bot_id, where, history)
        if parent is not None:
            return create_events.thread_reply(message, where, bot_id)
        return None

    async def _dm_team(self, message: discord.Message) -> str | None:
        """The guild a DM is for. One DM channel serves every guild the person shares with
        the bot, so a Reply to a check-in prompt or reminder is for that prompt's guild;
        else, while prompts of several guilds are open there, the person is asked which
        (None: asked, or no guild to hand it to); else the guild of the only open prompt,
        else the one the channel was last used for."""
        reference = message.reference.message_id if message.reference else None
        replied_to = await self._prompted_by(message.channel.id, reference) if reference else None
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

    async def _prompted_by(self, channel_id: int, message_id: int) -> str | None:
        """The guild whose prompt (or reminder) our DM message `message_id` was, as the
        core recorded it when it was sent."""
        async with self.bot.db.session() as session:
            key = (
                await session.exec(
                    select(Prompt.reply_key)
                    .join(PromptMessage, col(PromptMessage.prompt_id) == col(Prompt.id))
                    .where(
                        PromptMessage.platform == PLATFORM,
                        PromptMessage.channel == str(channel_id),
                        PromptMessage.message_id == str(message_id),
                    )
                )
            ).first()
        return Address.parse(key).workspace if key else None

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
        me = self.client.user
        inbound = create_events.thread_reply(original, where, me.id if me else 0)
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
