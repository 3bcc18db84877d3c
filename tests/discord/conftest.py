"""The real Discord adapter against the loopback stand-in: a guild `Acme` linked to client
`acme`, its CAIO queue in #caio-queue, and helpers that deliver INTERACTION_CREATE and
MESSAGE_CREATE payloads (shaped as in Discord's docs) through discord.py's own parsers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import count
from typing import TYPE_CHECKING, Any, cast

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import DiscordAdapter
from bot.clock import ManualClock
from bot.core import Bot
from bot.directory import ensure_client, link_workspace
from bot.events import Address
from bot.wiring import build_bot, start, stop
from config.settings import Settings
from tests.conftest import make_settings
from tests.standins.discord_api import (
    APP_ID,
    BOT_USER,
    DiscordStandIn,
    member_payload,
    snowflake,
    user_payload,
)

if TYPE_CHECKING:  # discord.types.gateway fails to import at run time (circular imports)
    from discord.types.gateway import InteractionCreateEvent, MessageCreateEvent

GUILD = "1200000000000000001"
GENERAL = "1200000000000000010"
QUEUE = "1200000000000000020"
CAIO_ROLE = "1200000000000000100"
LEAD_ROLE = "1200000000000000101"
DEV = user_payload("1300000000000000001", "dev")
DANA = user_payload("1300000000000000002", "dana")
SAM = user_payload("1300000000000000003", "sam")
CLIENT = "acme"
DISCORD_TASKS = ("discord.py:", "CommandTree", "discord-ui-")
OPTION_TYPES = {bool: 5, int: 4, str: 3}


@pytest.fixture(autouse=True)
def _restore_endpoints() -> Iterator[None]:
    """The adapter points discord.py at the stand-in; put Discord's own URLs back after."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordStandIn]:
    api = DiscordStandIn()
    await api.start()
    api.add_guild(
        GUILD,
        "Acme",
        roles=[
            {"id": CAIO_ROLE, "name": "CAIO", "permissions": "0", "position": 2},
            {"id": LEAD_ROLE, "name": "Tech Leads", "permissions": "0", "position": 1},
        ],
    )
    api.add_channel(GENERAL, GUILD, "general")
    api.add_channel(QUEUE, GUILD, "caio-queue")
    for person in (DEV, DANA, SAM):
        api.add_member(GUILD, person)
    yield api
    await api.stop()


def discord_settings(database_url: str, api: DiscordStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": "test-token",
        "discord_api_url": api.api_url,
        "discord_gateway_url": api.gateway_url,
        "discord_roles": f"{CAIO_ROLE}:caio, Tech Leads:lead",
    }
    values.update(overrides)
    return make_settings(database_url, **values)


async def link_acme(bot: Bot, queue: Address | None) -> None:
    async with bot.db.session() as session:
        await ensure_client(session, CLIENT, name="Acme", now=bot.clock.now(), queue=queue)
        await link_workspace(session, CLIENT, "discord", GUILD)


class DiscordHarness:
    """Drives the adapter as Discord would, and reads back what people would see."""

    def __init__(self, api: DiscordStandIn, bot: Bot, adapter: DiscordAdapter) -> None:
        self.api = api
        self.bot = bot
        self.adapter = adapter
        self._seq = count(1)

    @classmethod
    async def started(cls, api: DiscordStandIn, settings: Settings, clock: ManualClock) -> Any:
        bot = build_bot(settings, clock=clock)
        adapter = DiscordAdapter(bot, backoff=0.01)  # retries without waiting seconds
        bot.add_adapter(adapter)
        syncs = len(api.calls_to("PUT", f"/guilds/{GUILD}/commands"))
        await start(bot)
        await api.wait_for("PUT", f"/guilds/{GUILD}/commands", syncs + 1)
        return cls(api, bot, adapter)

    # -- delivering events -----------------------------------------------------------------
    async def settle(self) -> None:
        """Wait for discord.py's event tasks, then for the bot's background work."""
        me = asyncio.current_task()
        while True:
            busy = [
                t
                for t in asyncio.all_tasks()
                if t is not me and not t.done() and t.get_name().startswith(DISCORD_TASKS)
            ]
            if busy:
                await asyncio.wait(busy, timeout=10)
                continue
            await self.bot.drain()
            if not self.bot._tasks:
                return

    def interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: dict[str, Any],
        roles: list[str],
        channel_id: str,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload, registered with the stand-in so it can answer it."""
        interaction_id = snowflake(datetime.now(UTC), next(self._seq))
        token = f"token-{interaction_id}"
        clicked = message["id"] if message is not None else None
        self.api.register_interaction(interaction_id, token, channel_id, GUILD, clicked)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": APP_ID,
            "type": kind,
            "data": data,
            "guild_id": GUILD,
            "guild": {"id": GUILD, "locale": "en-US", "features": []},
            "channel_id": channel_id,
            "channel": self.api.channels[channel_id],
            "member": member_payload(user, roles),
            "token": token,
            "version": 1,
            "app_permissions": "2248473465835073",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD},
            "context": 0,
            "attachment_size_limit": 10485760,
        }
        if message is not None:
            payload["message"] = message
        return payload

    def dm_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: dict[str, Any],
        channel_id: str,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE from a DM: no guild, `user` instead of `member`."""
        payload = self.interaction(kind, data, user, [], channel_id, message)
        self.api.interactions[payload["token"]].guild_id = None
        for guild_only in ("guild_id", "guild", "member", "guild_locale"):
            del payload[guild_only]
        payload.update(user=user, context=1)
        return payload

    # The stand-in builds Discord's JSON as plain dicts; discord.py's parsers name the same
    # shapes as TypedDicts, hence the casts.
    def _deliver(self, payload: dict[str, Any]) -> None:
        event = cast("InteractionCreateEvent", payload)
        self.adapter.client._connection.parse_interaction_create(event)

    async def deliver_message(self, message: dict[str, Any]) -> None:
        """MESSAGE_CREATE for `message` (one the stand-in made), as the gateway delivers it."""
        self.adapter.client._connection.parse_message_create(cast("MessageCreateEvent", message))
        await self.settle()

    async def slash(
        self,
        sub: str,
        user: dict[str, Any] = DEV,
        roles: tuple[str, ...] = (),
        channel: str = GENERAL,
        **options: Any,
    ) -> str:
        """`/caio <sub> option:value …`; returns the interaction's token."""
        data = command_data(sub, options)
        payload = self.interaction(2, data, user, list(roles), channel)
        self._deliver(payload)
        await self.settle()
        return str(payload["token"])

    async def autocomplete(
        self,
        sub: str,
        focused: str,
        typed: str,
        user: dict[str, Any] = DEV,
        roles: tuple[str, ...] = (),
        **options: Any,
    ) -> list[dict[str, Any]]:
        data = command_data(sub, options)
        data["options"][0]["options"].append(
            {"type": 3 if focused != "id" else 4, "name": focused, "value": typed, "focused": True}
        )
        payload = self.interaction(4, data, user, list(roles), GENERAL)
        self._deliver(payload)
        await self.settle()
        return self.api.interactions[payload["token"]].choices

    async def click(
        self,
        message: dict[str, Any],
        label: str,
        user: dict[str, Any] = DEV,
        roles: tuple[str, ...] = (),
        *,
        dm: bool = False,
    ) -> str:
        """Click the button labelled `label` under `message`; returns the token."""
        button = next(b for b in self.api.buttons(message) if b["label"] == label)
        data = {"custom_id": button["custom_id"], "component_type": 2}
        channel = message["channel_id"]
        if dm:
            payload = self.dm_interaction(3, data, user, channel, message)
        else:
            payload = self.interaction(3, data, user, list(roles), channel, message)
        self._deliver(payload)
        await self.settle()
        return str(payload["token"])

    async def say(
        self,
        channel_id: str,
        content: str,
        user: dict[str, Any] = DEV,
        roles: tuple[str, ...] = (),
        *,
        mention: bool = False,
        dm: bool = False,
        files: tuple[str, ...] = (),
        mentions: tuple[dict[str, Any], ...] = (),
    ) -> dict[str, Any]:
        """A person posts `content` (with attachments named `files`); `mention` prefixes it
        with @caio-bot; `mentions` are the people its `<@id>` markup names."""
        if mention:
            content = f"<@{BOT_USER['id']}> {content}"
        message = self.api.user_message(
            channel_id,
            user,
            content,
            guild_id=None if dm else GUILD,
            roles=list(roles),
            mentions=[*([BOT_USER] if mention else []), *mentions],
            files=files,
        )
        await self.deliver_message(message)
        return message

    # -- reading what people see -----------------------------------------------------------
    def original(self, token: str) -> dict[str, Any] | None:
        state = self.api.interactions[token]
        if state.original_id is None or state.original_deleted:
            return None
        return self.api.messages[state.original_id]

    def followups(self, token: str) -> list[dict[str, Any]]:
        """Messages created by the interaction's follow-ups (not the original reply)."""
        return [
            m
            for m in self.api.messages.values()
            if m.get("_token") == token and not m.get("_deleted")
        ]

    def text(self, channel_id: str) -> str:
        return "\n---\n".join(self.api.visible_text(m) for m in self.api.in_channel(channel_id))

    def threads_of(self, channel_id: str) -> list[str]:
        return [c["id"] for c in self.api.channels.values() if c.get("parent_id") == channel_id]


def command_data(sub: str, options: dict[str, Any]) -> dict[str, Any]:
    """`data` of an application command with a subcommand, as Discord sends it."""
    return {
        "id": "1400000000000000001",
        "name": "caio",
        "type": 1,
        "guild_id": GUILD,
        "options": [
            {
                "type": 1,
                "name": sub,
                "options": [
                    {"type": OPTION_TYPES[type(v)], "name": k, "value": v}
                    for k, v in options.items()
                ],
            }
        ],
    }


@asynccontextmanager
async def running(
    api: DiscordStandIn, settings: Settings, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    """A started harness whose guild is Acme's, its queue in #caio-queue; stopped after."""
    harness = await DiscordHarness.started(api, settings, clock)
    try:
        await link_acme(harness.bot, Address("discord", GUILD, QUEUE))
        yield harness
    finally:
        await stop(harness.bot)


@pytest.fixture
async def dc(
    database_url: str, discord_api: DiscordStandIn, clock: ManualClock
) -> AsyncIterator[DiscordHarness]:
    async with running(discord_api, discord_settings(database_url, discord_api), clock) as harness:
        yield harness
