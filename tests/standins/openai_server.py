"""A loopback fake of the OpenAI HTTP API, so tests drive the real `openai` client.

Mocking the client would skip the code that matters under failure: the client's own
retries, Retry-After handling, timeouts and SSE parsing. Serving real HTTP on
127.0.0.1 keeps all of that in the loop while staying offline, fast and scriptable.

    async with OpenAIStandIn() as llm:
        client = openai.AsyncOpenAI(api_key="test", base_url=llm.base_url)
        llm.reply = "hi"              # or a callable (request_json) -> str
        llm.fail_next(500, times=2)   # the next two model calls fail
        llm.delay = 2.0               # answer late, to provoke timeouts
        go = llm.hold()               # model calls hang until go.set(): a slow model
        await llm.arrived.wait()      # a model call has reached the stand-in
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import math
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any, NamedTuple, Self

from aiohttp import web
from multidict import CIMultiDict

ReplyFn = Callable[[dict[str, Any]], str]
EmbedFn = Callable[[str], list[float]]

DEFAULT_MODEL = "gpt-4o-mini"
EMBED_DIM = 64
CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"


class RecordedRequest(NamedTuple):
    """A model call as it arrived, so tests can assert on what the bot actually sent."""

    path: str
    body: dict[str, Any]
    headers: Mapping[str, str]  # case-insensitive, like HTTP


class _Failure(NamedTuple):
    status: int
    retry_after: float | None


def hashed_bag_of_words(text: str, dim: int = EMBED_DIM) -> list[float]:
    """Embed deterministically: texts sharing words get close vectors, enough for retrieval tests.

    Each lower-cased word adds 1 to a hashed slot; the result is L2-normalised
    (all zeros for text without words).
    """
    vector = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest, "big") % dim] += 1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def _error(
    status: int, message: str | None = None, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Answer with OpenAI's error envelope, so the client raises its matching exception class."""
    if status == 401:
        kind, code = "invalid_request_error", "invalid_api_key"
    elif status == 429:
        kind, code = "requests", "rate_limit_exceeded"
    elif status >= 500:
        kind, code = "server_error", None
    else:
        kind, code = "invalid_request_error", None
    if message is None:
        try:
            message = f"Stand-in error: {HTTPStatus(status).phrase}"
        except ValueError:
            message = f"Stand-in error {status}"
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def _word_count(text: str) -> int:
    """Stand in for token counting: usage numbers only need to be plausible and stable."""
    return len(text.split())


class OpenAIStandIn:
    """An OpenAI-compatible server on an ephemeral loopback port, scripted by its attributes."""

    def __init__(
        self, reply: str | ReplyFn = "Hello from the stand-in.", *, model: str = DEFAULT_MODEL
    ) -> None:
        self.reply: str | ReplyFn = reply
        self.embed: EmbedFn | None = None  # None: hashed_bag_of_words (honours `dimensions`)
        self.delay: float = 0.0  # seconds to wait before answering a model call
        self.model = model  # listed by /v1/models
        self.requests: list[RecordedRequest] = []
        self.arrived = asyncio.Event()  # set as each model call arrives; clear it to wait again
        self._held: asyncio.Event | None = None
        self._failures: deque[_Failure] = deque()
        self._garbage: deque[tuple[str, str]] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`, the value to hand `openai.AsyncOpenAI(base_url=...)`."""
        if self._base_url is None:
            raise RuntimeError("OpenAIStandIn is not running; use it as `async with`.")
        return self._base_url

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Chat completion bodies only, the usual subject of a test's assertions."""
        return [r.body for r in self.requests if r.path == CHAT_PATH]

    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None) -> None:
        """Make the next `times` chat/embedding calls fail with `status` (calls queue up in order).

        Every scripted failure carries `retry-after-ms`, so the client's own retries
        happen at once instead of after its 0.5 s+ backoff. With `retry_after` it also
        carries `Retry-After: <seconds>`; the ms header is then that delay, floored at
        1 ms because the client ignores a zero and falls back to its backoff.
        """
        self._failures.extend([_Failure(status, retry_after)] * times)

    def hold(self) -> asyncio.Event:
        """Model calls hang (recorded on arrival) until the returned event is set, as a
        model still thinking would."""
        self._held = asyncio.Event()
        return self._held

    def garble_next(self, body: str, content_type: str = "application/json") -> None:
        """Make the next chat/embedding call answer 200 with `body` as it is: what a proxy's
        error page or a broken server sends where a completion was expected."""
        self._garbage.append((body, content_type))

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post(CHAT_PATH, self._chat)
        app.router.add_post(EMBEDDINGS_PATH, self._embeddings)
        app.router.add_get("/v1/models", self._models)
        # Handler cancellation stops a delayed answer once the client gave up, so a
        # timeout test does not hold up shutdown for the rest of `delay`.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}/v1"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._base_url = None

    def _unauthorised(self, request: web.Request) -> web.Response | None:
        """Refuse calls without a bearer token, as OpenAI does, so a missing key shows in tests."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return None
        return _error(
            401, "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."
        )

    async def _admit(self, request: web.Request) -> dict[str, Any] | web.Response:
        """Record, delay, authenticate, apply scripted failures: the shared path of model calls."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        recorded = body if isinstance(body, dict) else {}
        self.requests.append(RecordedRequest(request.path, recorded, CIMultiDict(request.headers)))
        self.arrived.set()
        if self._held is not None:
            await self._held.wait()
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if (refusal := self._unauthorised(request)) is not None:
            return refusal
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request.")
        if self._failures:
            failure = self._failures.popleft()
            headers = {"retry-after-ms": "1"}
            if failure.retry_after is not None:
                headers["Retry-After"] = f"{failure.retry_after:g}"
                headers["retry-after-ms"] = f"{max(failure.retry_after * 1000, 1):g}"
            return _error(failure.status, headers=headers)
        if self._garbage:
            raw, content_type = self._garbage.popleft()
            return web.Response(status=200, text=raw, content_type=content_type)
        return body

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._admit(request)
        if isinstance(body, web.Response):
            return body
        reply = self.reply(body) if callable(self.reply) else self.reply
        prompt = " ".join(
            str(m.get("content") or "") for m in body.get("messages", []) if isinstance(m, dict)
        )
        usage = {
            "prompt_tokens": _word_count(prompt),
            "completion_tokens": _word_count(reply),
            "total_tokens": _word_count(prompt) + _word_count(reply),
        }
        head = {
            "id": f"chatcmpl-standin{next(self._ids)}",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model),
            "system_fingerprint": None,
        }
        if body.get("stream"):
            return await self._stream(request, head, reply, usage, body)
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": reply, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
        return web.json_response(
            {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
        )

    async def _stream(
        self,
        request: web.Request,
        head: dict[str, Any],
        reply: str,
        usage: dict[str, int],
        body: dict[str, Any],
    ) -> web.StreamResponse:
        """Send the reply as OpenAI's SSE: role chunk, word chunks, a "stop" chunk, `[DONE]`."""
        options = body.get("stream_options")
        with_usage = isinstance(options, dict) and bool(options.get("include_usage"))

        def chunk(delta: dict[str, str], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            extra = {"usage": None} if with_usage else {}
            return {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in re.findall(r"\S+\s*|\s+", reply)]
        events.append(chunk({}, "stop"))
        if with_usage:
            events.append(
                {**head, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            )

        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        for event in events:
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await self._admit(request)
        if isinstance(body, web.Response):
            return body
        raw = body.get("input", "")
        texts = [raw] if isinstance(raw, str) else [str(item) for item in raw]
        dim = body.get("dimensions") or EMBED_DIM
        data = []
        for index, text in enumerate(texts):
            vector = self.embed(text) if self.embed is not None else hashed_bag_of_words(text, dim)
            # The client asks for base64 unless told otherwise and decodes float32 itself.
            encoded: list[float] | str = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(_word_count(t) for t in texts)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": str(body.get("model") or self.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        if (refusal := self._unauthorised(request)) is not None:
            return refusal
        model = {"id": self.model, "object": "model", "created": 1700000000, "owned_by": "system"}
        return web.json_response({"object": "list", "data": [model]})
