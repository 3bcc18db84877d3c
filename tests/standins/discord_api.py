"""A loopback stand-in of Discord's REST API and gateway, recording every call.

It keeps what a Discord user would see (messages per channel, which are ephemeral, threads,
forum posts, uploaded files, reactions, registered commands) and enforces the limits that
matter to us: 2,000-character content, embed sizes, 10 files per message and the upload size
(413 / 40005), one response per interaction, tokens that expire (401 / 50027), and error 50007
for closed DMs; `refuse` makes chosen calls fail as Discord refuses them (403 Missing Access,
404 Unknown Channel, an archived thread …). Payload shapes follow Discord's API reference
(Message, Channel, Interaction callback, Gateway READY); uploads are multipart/form-data with
`payload_json` and `files[n]`. For outages, `refuse` may answer only the next few calls,
`hold` keeps calls waiting as an unresponsive Discord does, and `close_gateway` answers
IDENTIFY by closing the websocket with a gateway close code (4014 Disallowed intents …).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler

API = "/api/v10"
APP_ID = "1100000000000000001"
BOT_ID = "1100000000000000002"
BOT_NAME = "caio-bot"
EPHEMERAL = 1 << 6
LOADING = 1 << 7
DISCORD_EPOCH_MS = 1420070400000
FORUM = 15
MAX_FILES = 10
UPLOAD_LIMIT = 10 * 1024 * 1024


def snowflake(when: datetime, seq: int = 0) -> str:
    """A Discord id for `when` (ids carry their creation time)."""
    ms = int(when.timestamp() * 1000) - DISCORD_EPOCH_MS
    return str((ms << 22) | (seq & 0x3FFFFF))


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user_payload(BOT_ID, BOT_NAME, bot=True)


def member_payload(user: dict[str, Any] | None, roles: list[str]) -> dict[str, Any]:
    """A guild member object (without `user` in MESSAGE_CREATE, with it in interactions)."""
    member: dict[str, Any] = {
        "roles": roles,
        "joined_at": "2026-01-05T09:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "premium_since": None,
        "permissions": "2248473465835073",
    }
    if user is not None:
        member["user"] = user
    return member


@dataclass
class Call:
    method: str
    path: str
    body: Any
    query: dict[str, str]
    at: float = field(default_factory=time.perf_counter)
    files: list[Upload] = field(default_factory=list)


@dataclass(frozen=True)
class Upload:
    """One `files[n]` part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Refusal:
    """Discord's answer to calls it refuses: every `method` call whose path contains
    `fragment` gets `status` with the JSON error `{"code": code, "message": message}`;
    only the next `times` such calls when it is set."""

    method: str
    fragment: str
    status: int
    code: int
    message: str
    times: int | None = None


@dataclass
class InteractionState:
    id: str
    token: str
    channel_id: str
    guild_id: str | None
    response_type: int | None = None
    original_id: str | None = None
    original_deleted: bool = False
    choices: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    message_id: str | None = None
    """The message a clicked component sits on (its `@original` once deferred, type 6)."""


def _json(data: Any, status: int = 200) -> web.Response:
    """Exactly `application/json`, as Discord sends it (discord.py checks for that)."""
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json"})


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _check_message(body: dict[str, Any]) -> None:
    """The limits Discord enforces on a message (400 Invalid Form Body otherwise)."""
    content = body.get("content") or ""
    if len(content) > 2000:
        raise DiscordError(400, 50035, "Invalid Form Body: content: Must be 2000 or fewer.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise DiscordError(400, 50035, "Invalid Form Body: embeds: Must be 10 or fewer in length.")
    total = 0
    for embed in embeds:
        description = embed.get("description") or ""
        if len(description) > 4096:
            raise DiscordError(400, 50035, "Invalid Form Body: embeds.description: too long.")
        for f in embed.get("fields") or []:
            if len(f.get("value", "")) > 1024 or len(f.get("name", "")) > 256:
                raise DiscordError(400, 50035, "Invalid Form Body: embeds.fields: too long.")
        total += len(description) + len(embed.get("title") or "")
        total += len((embed.get("footer") or {}).get("text", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields") or [])
    if total > 6000:
        raise DiscordError(400, 50035, "Invalid Form Body: embeds: total size over 6000.")
    for row in body.get("components") or []:
        if len(row.get("components", [])) > 5:
            raise DiscordError(400, 50035, "Invalid Form Body: components: too many in a row.")
        for item in row.get("components", []):
            if len(item.get("custom_id", "")) > 100:
                raise DiscordError(400, 50035, "Invalid Form Body: custom_id: too long.")


async def _multipart(request: web.Request) -> tuple[Any, list[Upload]]:
    """`payload_json` and `files[n]` of a multipart/form-data request, as discord.py sends."""
    form = await request.post()
    body = json.loads(str(form["payload_json"])) if "payload_json" in form else {}
    files = [
        Upload(name, value.filename, value.content_type, value.file.read())
        for name, value in form.items()
        if isinstance(value, web.FileField)
    ]
    return body, files


def _check_modal(data: dict[str, Any]) -> None:
    """The limits Discord enforces on a MODAL callback (title, 1-5 labelled inputs)."""
    if not 1 <= len(data.get("title") or "") <= 45:
        raise DiscordError(400, 50035, "Invalid Form Body: data.title: 1-45 characters.")
    if len(data.get("custom_id") or "") > 100:
        raise DiscordError(400, 50035, "Invalid Form Body: data.custom_id: too long.")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise DiscordError(400, 50035, "Invalid Form Body: data.components: 1-5 in length.")
    for label in components:
        if label.get("type") != 18 or not 1 <= len(label.get("label") or "") <= 45:
            raise DiscordError(400, 50035, "Invalid Form Body: a label of 1-45 characters.")
        if label["component"].get("type") != 4:
            raise DiscordError(400, 50035, "Invalid Form Body: a label holds a text input.")


class DiscordStandIn:
    """REST under `/api/v10`, the gateway websocket under `/gateway`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.guilds: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        """Who is in which guild, for GET /guilds/{g}/members/{u}, by guild and user id."""
        self.interactions: dict[str, InteractionState] = {}
        self.reactions: list[tuple[str, str, str]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.closed_dms: set[str] = set()
        self.refusals: list[Refusal] = []
        self.expired_tokens: set[str] = set()
        self.tokens_expire_on_ack = False
        """Every handler takes longer than 15 minutes: tokens die once acknowledged."""
        self.upload_limit = UPLOAD_LIMIT
        self.uploads: dict[str, bytes] = {}
        self._files: list[Upload] = []
        self.identify: dict[str, Any] | None = None
        self.close_code: int | None = None
        """Set by `close_gateway`: IDENTIFY is answered by closing with this code."""
        self._held: dict[str, asyncio.Event] = {}
        self._dms: dict[str, str] = {}
        self._ids = count(1)
        self._seq = count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base = ""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._errors], client_max_size=4 * UPLOAD_LIMIT)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for held in self._held.values():  # or cleanup waits out the server's grace
            held.set()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.base + API

    @property
    def gateway_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/gateway"

    # -- fixtures a test sets up -----------------------------------------------------------
    def new_id(self) -> str:
        return snowflake(datetime.now(UTC), next(self._ids))

    def add_member(self, guild_id: str, user: dict[str, Any]) -> None:
        self.members.setdefault(guild_id, {})[user["id"]] = user

    def add_guild(
        self, guild_id: str, name: str, roles: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        guild: dict[str, Any] = {
            "id": guild_id,
            "name": name,
            "icon": None,
            "owner_id": "1",
            "roles": [
                {"id": guild_id, "name": "@everyone", "permissions": "0", "position": 0},
                *(roles or []),
            ],
            "channels": [],
            "threads": [],
            "members": [],
            "member_count": 1,
            "emojis": [],
            "stickers": [],
            "features": [],
            "unavailable": False,
            "large": False,
            "voice_states": [],
            "presences": [],
            "preferred_locale": "en-US",
        }
        for role in guild["roles"]:
            role.setdefault("color", 0)
            role.setdefault("hoist", False)
            role.setdefault("managed", False)
            role.setdefault("mentionable", False)
        self.guilds[guild_id] = guild
        return guild

    def add_channel(
        self, channel_id: str, guild_id: str, name: str, *, kind: int = 0
    ) -> dict[str, Any]:
        channel = {
            "id": channel_id,
            "type": kind,
            "guild_id": guild_id,
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
        }
        if kind == FORUM:
            channel.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_auto_archive_duration=4320,
                flags=0,
            )
        self.channels[channel_id] = channel
        if guild_id in self.guilds:
            self.guilds[guild_id]["channels"].append(channel)
        return channel

    def register_interaction(
        self,
        interaction_id: str,
        token: str,
        channel_id: str,
        guild_id: str | None,
        message_id: str | None = None,
    ) -> None:
        self.interactions[token] = InteractionState(
            interaction_id, token, channel_id, guild_id, message_id=message_id
        )

    def refuse(
        self,
        method: str,
        fragment: str,
        status: int,
        code: int,
        message: str,
        *,
        times: int | None = None,
    ) -> None:
        """From now on Discord refuses these calls, or the next `times` of them (they are
        still recorded)."""
        self.refusals.append(Refusal(method, fragment, status, code, message, times))

    def hold(self, fragment: str) -> asyncio.Event:
        """REST calls whose path contains `fragment` get no answer until the returned event
        is set (they are recorded when they arrive)."""
        return self._held.setdefault(fragment, asyncio.Event())

    def close_gateway(self, code: int) -> None:
        """Discord closes every following session at IDENTIFY with this close code, as it
        does with 4014 when the Message Content intent is off, or 4004 for a bad token."""
        self.close_code = code

    def expire(self, token: str) -> None:
        """Fifteen minutes have passed: Discord no longer accepts the interaction's token."""
        self.expired_tokens.add(token)

    # -- what tests read -------------------------------------------------------------------
    def in_channel(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages a user would see in a channel or thread, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == channel_id and not m.get("_deleted")
        ]

    def visible_text(self, message: dict[str, Any]) -> str:
        parts = [message.get("content") or ""]
        for embed in message.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def files(self, message: dict[str, Any]) -> list[tuple[str, bytes]]:
        """The files attached to a message, as (filename, bytes)."""
        return [(a["filename"], self.uploads[a["id"]]) for a in message.get("attachments") or []]

    def buttons(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return [c for row in message.get("components") or [] for c in row["components"]]

    def calls_to(self, method: str, fragment: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and fragment in c.path]

    async def wait_for(self, method: str, fragment: str, n: int = 1) -> Call:
        """Wait (without sleeping) until the n-th matching call has been recorded."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.calls_to(method, fragment)) >= n), 10
            )
        return self.calls_to(method, fragment)[n - 1]

    # -- gateway ---------------------------------------------------------------------------
    async def push(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH to every connected gateway client."""
        for ws in self._sockets:
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                frame = json.loads(msg.data)
                if frame["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif frame["op"] == 2 and self.close_code is not None:
                    await ws.close(code=self.close_code, message=b"closed by the stand-in")
                elif frame["op"] == 2:
                    self.identify = frame["d"]
                    await self._ready(ws)
        finally:
            self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": g, "unavailable": True} for g in self.guilds],
            "session_id": "standin-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APP_ID, "flags": 0},
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        for guild in self.guilds.values():
            frame = {"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": guild}
            await ws.send_str(json.dumps(frame))

    # -- REST ------------------------------------------------------------------------------
    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except DiscordError as e:
            return _json({"code": e.code, "message": e.message}, status=e.status)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        files: list[Upload] = []
        if request.content_type == "multipart/form-data":
            body, files = await _multipart(request)
        elif request.can_read_body:
            body = await request.json()
        path = "/" + request.match_info["tail"]
        call = Call(request.method, path, body, dict(request.query), files=files)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        for fragment, released in self._held.items():
            if fragment in path:
                await released.wait()
        self._refuse(request.method, path)
        self._check_files(files)
        parts = path.strip("/").split("/")
        self._files = files
        result = self._route(request.method, parts, body or {}, dict(request.query))
        if result is None:
            return web.Response(status=204)
        return _json(result)

    def _refuse(self, method: str, path: str) -> None:
        for refusal in self.refusals:
            if method == refusal.method and refusal.fragment in path:
                if refusal.times is not None:
                    refusal.times -= 1
                    if refusal.times == 0:
                        self.refusals.remove(refusal)
                raise DiscordError(refusal.status, refusal.code, refusal.message)

    def _check_files(self, files: list[Upload]) -> None:
        if len(files) > MAX_FILES:
            raise DiscordError(400, 50035, "Invalid Form Body: files: Must be 10 or fewer.")
        if any(len(f.data) > self.upload_limit for f in files):
            raise DiscordError(413, 40005, "Request entity too large")

    def _attachments(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Attachment objects for the request's files, matched to `attachments[].id` = n."""
        names = {str(a.get("id")): a for a in body.get("attachments") or []}
        found = []
        for upload in self._files:
            n = upload.field.removeprefix("files[").removesuffix("]")
            attachment_id = self.new_id()
            self.uploads[attachment_id] = upload.data
            url = f"{self.base}/attachments/{attachment_id}/{upload.filename}"
            found.append(
                {
                    "id": attachment_id,
                    "filename": names.get(n, {}).get("filename", upload.filename),
                    "description": names.get(n, {}).get("description"),
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                }
            )
        self._files = []
        return found

    def _route(self, method: str, parts: list[str], body: Any, query: dict[str, str]) -> Any:
        """`body` is the request's JSON: an object, but an array for the bulk command
        overwrites (`PUT .../commands`)."""
        match method, parts:
            case "GET", ["users", "@me"]:
                return BOT_USER
            case "GET", ["guilds", guild_id, "members", user_id]:
                user = self.members.get(guild_id, {}).get(user_id)
                if user is None:
                    raise DiscordError(404, 10007, "Unknown Member")
                return member_payload(user, [])
            case "GET", ["channels", channel_id, "messages", message_id]:
                message = self.messages.get(message_id)
                if (
                    message is None
                    or message["channel_id"] != channel_id
                    or message.get("_deleted")
                ):
                    raise DiscordError(404, 10008, "Unknown Message")
                return message
            case "GET", ["oauth2", "applications", "@me"]:
                return self._application()
            case "GET", ["gateway", *_]:
                return {"url": self.gateway_url, "shards": 1}
            case "PUT", ["applications", _, "commands"]:
                return self._commands("global", None, body)
            case "PUT", ["applications", _, "guilds", guild_id, "commands"]:
                return self._commands(guild_id, guild_id, body)
            case "POST", ["interactions", _, token, "callback"]:
                return self._callback(token, body)
            case "POST", ["webhooks", _, token]:
                return self._followup(token, body)
            case "GET", ["webhooks", _, token, "messages", message_id]:
                return self.messages[self._webhook_message(token, message_id)]
            case "PATCH", ["webhooks", _, token, "messages", message_id]:
                return self._edit(self._webhook_message(token, message_id), body)
            case "DELETE", ["webhooks", _, token, "messages", message_id]:
                self.messages[self._webhook_message(token, message_id)]["_deleted"] = True
                if message_id == "@original":
                    self.interactions[token].original_deleted = True
                return None
            case "POST", ["channels", channel_id, "messages"]:
                return self._post(channel_id, body)
            case "PATCH", ["channels", _, "messages", message_id]:
                return self._edit(message_id, body)
            case "DELETE", ["channels", _, "messages", message_id]:
                if message_id not in self.messages or self.messages[message_id].get("_deleted"):
                    raise DiscordError(404, 10008, "Unknown Message")
                self.messages[message_id]["_deleted"] = True
                return None
            case "GET", ["channels", channel_id]:
                if channel_id not in self.channels:
                    raise DiscordError(404, 10003, "Unknown Channel")
                return self.channels[channel_id]
            case "GET", ["channels", channel_id, "messages"]:
                return self._history(channel_id, query)
            case "POST", ["channels", channel_id, "messages", message_id, "threads"]:
                return self._thread(channel_id, message_id, body)
            case "POST", ["channels", channel_id, "threads"]:
                return self._forum_post(channel_id, body)
            case "PUT", ["channels", channel_id, "messages", message_id, "reactions", emoji, "@me"]:
                self.reactions.append((channel_id, message_id, emoji))
                return None
            case "POST", ["users", "@me", "channels"]:
                return self._dm(str(body["recipient_id"]))
        raise DiscordError(404, 0, f"404: Not Found ({method} /{'/'.join(parts)})")

    def _history(self, channel_id: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Newest first, as Discord returns them; `before` and `limit` honoured."""
        before = int(query.get("before", 1 << 63))
        found = [m for m in self.in_channel(channel_id) if int(m["id"]) < before]
        return list(reversed(found))[: int(query.get("limit", 50))]

    def user_message(
        self,
        channel_id: str,
        user: dict[str, Any],
        content: str,
        *,
        guild_id: str | None = None,
        roles: list[str] | None = None,
        mentions: list[dict[str, Any]] | None = None,
        files: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A person's message as MESSAGE_CREATE carries it, also kept for channel history;
        `files` are the names of attachments on it."""
        message = self._message(channel_id, {"content": content})
        message.update(author=user, mentions=mentions or [])
        message["attachments"] = [
            {
                "id": str(900 + n),
                "filename": name,
                "size": 1024,
                "url": f"https://cdn.discordapp.com/attachments/{channel_id}/{900 + n}/{name}",
                "proxy_url": f"https://media.discordapp.net/attachments/{channel_id}/{name}",
            }
            for n, name in enumerate(files)
        ]
        if guild_id is not None:
            message["guild_id"] = guild_id
            message["member"] = member_payload(None, roles or [])
        return message

    def bot_message(
        self, channel_id: str, content: str, components: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A message the bot posted earlier (before a restart, say)."""
        return self._message(channel_id, {"content": content, "components": components})

    def _application(self) -> dict[str, Any]:
        return {
            "id": APP_ID,
            "name": BOT_NAME,
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": user_payload("1", "owner"),
            "flags": 0,
        }

    def _commands(
        self, scope: str, guild_id: str | None, body: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        registered = []
        for cmd in body:
            row = {**cmd, "id": self.new_id(), "application_id": APP_ID, "version": "1"}
            if guild_id:
                row["guild_id"] = guild_id
            row.setdefault("description", "")
            registered.append(row)
        self.commands[scope] = registered
        return registered

    def _message(
        self, channel_id: str, body: dict[str, Any], *, flags: int = 0, webhook: bool = False
    ) -> dict[str, Any]:
        _check_message(body)
        message: dict[str, Any] = {
            "id": self.new_id(),
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(body),
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "flags": flags | (body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if webhook:
            message["webhook_id"] = APP_ID
        self.messages[message["id"]] = message
        return message

    def _post(self, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        if channel["type"] == 1 and channel["recipients"][0]["id"] in self.closed_dms:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        if channel["type"] == FORUM:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        return self._message(channel_id, body)

    def _edit(self, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get(message_id)
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message")
        merged = {**message, **{k: v for k, v in body.items() if v is not None}}
        _check_message(merged)
        if self._files:
            merged["attachments"] = self._attachments(body)
        merged["flags"] = message["flags"] & ~LOADING
        merged["edited_timestamp"] = datetime.now(UTC).isoformat()
        self.messages[message_id] = merged
        return merged

    def _interaction(self, token: str) -> InteractionState:
        state = self.interactions.get(token)
        if state is None or token in self.expired_tokens:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return state

    def _callback(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        state = self._interaction(token)
        if state.response_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        kind = body["type"]
        data = body.get("data") or {}
        state.response_type = kind
        if self.tokens_expire_on_ack:
            self.expire(token)
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            loading = LOADING if kind == 5 else 0
            message = self._message(state.channel_id, data, flags=loading, webhook=True)
            state.original_id = message["id"]
            resource["message"] = message
        elif kind == 8:
            state.choices = data.get("choices", [])
        elif kind == 9:
            _check_modal(data)
            state.modal = data
        flags = data.get("flags") or 0
        return {
            "interaction": {
                "id": state.id,
                "type": 2,
                "response_message_id": state.original_id,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            },
            "resource": resource,
        }

    def _followup(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        """The first follow-up after a deferred reply edits the loading message and keeps the
        defer's visibility; later ones are new messages with their own flags."""
        state = self._interaction(token)
        if state.response_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        original = self.messages.get(state.original_id or "")
        if original is not None and original["flags"] & LOADING and not state.original_deleted:
            return self._edit(original["id"], {k: v for k, v in body.items() if k != "flags"})
        message = self._message(state.channel_id, body, webhook=True)
        message["_token"] = token
        return message

    def _webhook_message(self, token: str, message_id: str) -> str:
        state = self._interaction(token)
        if message_id == "@original":
            if state.response_type == 6 and state.message_id is not None:
                return state.message_id
            if state.original_id is None or state.original_deleted:
                raise DiscordError(404, 10008, "Unknown Message")
            return state.original_id
        return message_id

    def _thread(self, channel_id: str, message_id: str, body: dict[str, Any]) -> dict[str, Any]:
        parent = self.channels.get(channel_id)
        if parent is None or message_id not in self.messages:
            raise DiscordError(404, 10008, "Unknown Message")
        if parent["type"] in (10, 11, 12):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        thread = {
            "id": message_id,
            "type": 11,
            "guild_id": parent["guild_id"],
            "parent_id": channel_id,
            "owner_id": BOT_ID,
            "name": body["name"][:100],
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        self.channels[message_id] = thread
        return thread

    def _forum_post(self, forum_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A forum post: a thread whose id is its starter message's id."""
        forum = self.channels.get(forum_id)
        if forum is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        if forum["type"] != FORUM:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if not body.get("name") or not body.get("message"):
            raise DiscordError(400, 50035, "Invalid Form Body: name and message are required.")
        placeholder = self.new_id()
        message = self._message(placeholder, body["message"])
        del self.messages[message["id"]]
        thread_id = message["id"]
        message["channel_id"] = thread_id
        message["position"] = 0
        self.messages[thread_id] = message
        thread = {
            "id": thread_id,
            "type": 11,
            "guild_id": forum["guild_id"],
            "parent_id": forum_id,
            "owner_id": BOT_ID,
            "name": body["name"][:100],
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "applied_tags": body.get("applied_tags") or [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration") or 4320,
                "archive_timestamp": datetime.now(UTC).isoformat(),
                "locked": False,
            },
        }
        self.channels[thread_id] = thread
        return {**thread, "message": message}

    def open_dm(self, user_id: str) -> str:
        """The DM channel between the bot and a person, as when they write to it first."""
        return str(self._dm(user_id)["id"])

    def _dm(self, user_id: str) -> dict[str, Any]:
        if user_id not in self._dms:
            channel_id = self.new_id()
            self._dms[user_id] = channel_id
            self.channels[channel_id] = {
                "id": channel_id,
                "type": 1,
                "recipients": [user_payload(user_id, f"user{user_id[-4:]}")],
                "last_message_id": None,
            }
        return self.channels[self._dms[user_id]]
