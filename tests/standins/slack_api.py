"""A loopback stand-in for Slack's Web API and `response_url`s, recording every call.

Tests point the real slack_sdk client at it (`SLACK_API_URL`), so the client's own
encoding, rate-limit and server-error retries stay in the loop. It keeps the messages
posted per channel, so `conversations.replies` returns a real thread.

    async with SlackStandIn() as slack:
        slack.users["U1"] = "dana"
        slack.fail_next("chat.postMessage", 429, retry_after=0)
        ... slack.calls("chat.postMessage")

File uploads follow Slack's external flow (files.getUploadURLExternal hands out an
upload URL on this server, the bytes are POSTed there, files.completeUploadExternal
shares them); `slack.files` holds what was shared. Socket Mode: apps.connections.open
hands out a `ws://` URL on this server whose handler says `hello`, sends the envelopes a
test queues with `slack.socket.send(...)` and records the client's acks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

TEAM = "T0CAIO"
TEAM_NAME = "Acme"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
BOT_TOKEN = "xoxb-test-token"


@dataclass(frozen=True)
class Call:
    """One request as it arrived: the API method (or `response_url`), its arguments, token."""

    method: str
    args: dict[str, Any]
    token: str | None = None
    failed: bool = False  # answered with a scripted failure

    @property
    def text(self) -> str:
        """Everything a person would read in the posted message: text and block texts."""
        parts = [str(self.args.get("text", ""))]
        for block in _blocks(self.args.get("blocks")):
            parts.extend(_block_texts(block))
        return "\n".join(parts)

    @property
    def buttons(self) -> list[str]:
        return [
            e["text"]["text"]
            for b in _blocks(self.args.get("blocks"))
            if b.get("type") == "actions"
            for e in b.get("elements", [])
        ]


def _blocks(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        raw = json.loads(raw)
    return list(raw or [])


def _block_texts(block: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    if isinstance(block.get("text"), dict):
        texts.append(block["text"]["text"])
    texts.extend(f["text"] for f in block.get("fields", []))
    if block.get("type") == "context":
        texts.extend(e.get("text", "") for e in block.get("elements", []))
    return texts


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    error: str
    extra: dict[str, str]


@dataclass(frozen=True)
class SharedFile:
    """A file shared by files.completeUploadExternal: its bytes as uploaded, and where."""

    file_id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    thread_ts: str | None
    initial_comment: str | None


class SocketModeServer:
    """Slack's side of one Socket Mode connection: `hello`, then queued envelopes; every
    `envelope_id` the client acknowledges lands in `acks` (with the payload it carried)."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.acks: dict[str, dict[str, Any]] = {}
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._acked: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def send(self, envelope: dict[str, Any]) -> None:
        self._outbox.put_nowait(envelope)

    async def acked(self, envelope_id: str) -> dict[str, Any]:
        """The client's acknowledgement of `envelope_id` (waits for it)."""
        await self._acked[envelope_id].wait()
        return self.acks[envelope_id]

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0CAIO"},
        }
        await ws.send_json(hello)
        self.connected.set()
        sender = asyncio.create_task(self._send_queued(ws))
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    ack = json.loads(frame.data)
                    self.acks[ack["envelope_id"]] = ack
                    self._acked[ack["envelope_id"]].set()
        finally:
            sender.cancel()
            self.connected.clear()
        return ws

    async def _send_queued(self, ws: web.WebSocketResponse) -> None:
        while True:
            await ws.send_json(await self._outbox.get())


@dataclass
class Install:
    """What `oauth.v2.access` answers for a code: the workspace being installed, or with
    `enterprise_id` set, a whole Enterprise Grid org (org-wide install: no team)."""

    team_id: str = "T0NEW"
    team_name: str = "Globex"
    bot_token: str = "xoxb-globex"
    bot_user_id: str = "UBOTG"
    installer: str = "UINSTALLER"
    enterprise_id: str | None = None
    enterprise_name: str = ""


@dataclass
class SlackStandIn:
    team_id: str = TEAM
    users: dict[str, str] = field(default_factory=dict)
    log: list[Call] = field(default_factory=list)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token → (team, bot user)
    install: Install = field(default_factory=Install)

    def __post_init__(self) -> None:
        self.tokens.setdefault(BOT_TOKEN, (self.team_id, BOT_USER))
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._held: dict[str, asyncio.Event] = {}
        self._arrived = asyncio.Condition()
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._pending_files: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.files: list[SharedFile] = []
        self.socket = SocketModeServer()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- scripting ------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{key}"

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        error: str = "fatal_error",
        **extra: str,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (429 carries Retry-After);
        `extra` adds fields to the answer (`needed="chat:write"` for missing_scope)."""
        for _ in range(times):
            self._failures[method].append(_Failure(status, retry_after, error, extra))

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` hang (recorded on arrival) until the returned event is set, as
        a slow or stuck Slack would."""
        self._held[method] = asyncio.Event()
        return self._held[method]

    def next_ts(self) -> str:
        return f"1764000000.{next(self._ts):06d}"

    def add_message(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """A message a person wrote (for `conversations.replies`)."""
        message = {"type": "message", "user": user, "text": text, "ts": self.next_ts()}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages[channel].append(message)
        return message

    async def wait_for(self, method: str, n: int = 1) -> None:
        """Wait (without sleeping) until `n` calls of `method` have arrived, held or not."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.calls(method)) >= n), 10)

    def calls(self, method: str) -> list[Call]:
        """Every request for `method`, failed attempts included."""
        return [c for c in self.log if c.method == method]

    def delivered(self, method: str) -> list[Call]:
        """The requests for `method` that Slack accepted."""
        return [c for c in self.calls(method) if not c.failed]

    # -- server ---------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link/", self.socket.serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for held in self._held.values():  # or cleanup waits out the server's 60 s grace
            held.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(parse_qsl(body.decode()))
        return args

    def _failure(self, method: str) -> web.Response | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue.popleft()
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = str(int(failure.retry_after))
        body = {"ok": False, "error": failure.error, **failure.extra}
        return web.json_response(body, status=failure.status, headers=headers)

    async def _response_url(self, request: web.Request) -> web.Response:
        self.log.append(Call("response_url", json.loads(await request.read())))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: Slack's file servers answer 200 `OK - <length>`."""
        file_id = request.match_info["file_id"]
        body = await request.read()
        failed = self._failure("upload")
        self.log.append(
            Call("upload", {"file_id": file_id, "length": len(body)}, None, bool(failed))
        )
        if failed is not None:
            return failed
        if file_id not in self._pending_files:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = body
        return web.Response(text=f"OK - {len(body)}")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        failed = self._failure(method)
        self.log.append(Call(method, args, token, failed is not None))
        async with self._arrived:
            self._arrived.notify_all()
        if method in self._held:
            await self._held[method].wait()
        if failed is not None:
            return failed
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": True})
        return web.json_response(handler(args, token))

    # -- methods --------------------------------------------------------------------------
    def _auth_test(self, _: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        team, bot_user = self.tokens[token]
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": TEAM_NAME,
            "user": "caio-bot",
            "team_id": team,
            "user_id": bot_user,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        ts = self.next_ts()
        message = {"type": "message", "bot_id": BOT_ID, "text": args.get("text", ""), "ts": ts}
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages[args["channel"]].append(message)
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}

    def _chat_postEphemeral(self, _: dict[str, Any], __: str | None) -> dict[str, Any]:
        return {"ok": True, "message_ts": self.next_ts()}

    def _files_getUploadURLExternal(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):08d}"
        self._pending_files[file_id] = {"filename": args["filename"], "length": int(args["length"])}
        upload_url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        files = json.loads(args["files"])
        for f in files:
            pending = self._pending_files.get(f["id"])
            content = self.uploads.get(f["id"])
            if pending is None or content is None or len(content) != pending["length"]:
                return {"ok": False, "error": "file_upload_incomplete"}
        shared = []
        for f in files:
            pending = self._pending_files.pop(f["id"])
            self.files.append(
                SharedFile(
                    f["id"],
                    pending["filename"],
                    f.get("title") or pending["filename"],
                    self.uploads[f["id"]],
                    args.get("channel_id"),
                    args.get("thread_ts"),
                    args.get("initial_comment"),
                )
            )
            shared.append({"id": f["id"], "name": pending["filename"], "title": f.get("title")})
        return {"ok": True, "files": shared}

    def _apps_connections_open(self, _: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not (token or "").startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=standin"}

    def _users_info(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        user = args["user"]
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        name = self.users[user]
        profile = {"display_name": name, "real_name": name.title()}
        return {"ok": True, "user": {"id": user, "name": name, "profile": profile}}

    def _conversations_open(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(args["users"])[1:]}}

    def _conversations_replies(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        root = args["ts"]
        thread = [
            m
            for m in self.messages[args["channel"]]
            if m["ts"] == root or m.get("thread_ts") == root
        ]
        return {"ok": True, "messages": thread, "has_more": False}

    def _chat_getPermalink(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        channel, ts = args["channel"], str(args["message_ts"])
        link = f"https://stand-in.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _views_publish(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        view = args.get("view") or {}
        return {
            "ok": True,
            "view": {"id": "V1", **(json.loads(view) if isinstance(view, str) else view)},
        }

    def _views_open(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        """A modal opened with a trigger id (recorded in the log like every call)."""
        view = args.get("view") or {}
        view = json.loads(view) if isinstance(view, str) else view
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": f"V{len(self.calls('views.open'))}", **view}}

    def _oauth_v2_access(self, args: dict[str, Any], _: str | None) -> dict[str, Any]:
        i = self.install
        org_wide = i.enterprise_id is not None
        self.tokens[i.bot_token] = (i.enterprise_id or i.team_id, i.bot_user_id)
        return {
            "ok": True,
            "app_id": "A0CAIO",
            "authed_user": {"id": i.installer},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": i.bot_token,
            "bot_user_id": i.bot_user_id,
            "team": None if org_wide else {"id": i.team_id, "name": i.team_name},
            "enterprise": {"id": i.enterprise_id, "name": i.enterprise_name} if org_wide else None,
            "is_enterprise_install": org_wide,
        }
