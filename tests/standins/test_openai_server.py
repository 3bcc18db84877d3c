"""Prove the OpenAI stand-in against the real `openai` client, so other tests can trust it."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import openai
import pytest

from .openai_server import EMBED_DIM, OpenAIStandIn

Client = Callable[..., openai.AsyncOpenAI]
MESSAGES: list[Any] = [{"role": "user", "content": "How should we pilot an LLM?"}]


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn() as standin:
        yield standin


@pytest.fixture
async def client(llm: OpenAIStandIn) -> AsyncIterator[Client]:
    """Real clients aimed at the stand-in, closed afterwards so no sockets leak between tests."""
    made: list[openai.AsyncOpenAI] = []

    def make(**kwargs: Any) -> openai.AsyncOpenAI:
        made.append(openai.AsyncOpenAI(api_key="test", base_url=llm.base_url, **kwargs))
        return made[-1]

    yield make
    for each in made:
        await each.close()


async def test_non_streaming_reply_has_openai_shape(llm: OpenAIStandIn, client: Client) -> None:
    llm.reply = "Start with one team and one metric."
    completion = await client().chat.completions.create(model="any-model", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.model == "any-model"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == llm.reply
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens == 7
    assert llm.chat_requests == [{"model": "any-model", "messages": MESSAGES}]
    path, _, headers = llm.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer test"


async def test_streaming_chunks_assemble_to_reply(llm: OpenAIStandIn, client: Client) -> None:
    llm.reply = "  Pilot small,\nmeasure twice. "
    stream = await client().chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]

    content = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(content) == llm.reply
    assert len([piece for piece in content if piece]) > 1
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


async def test_callable_reply_sees_the_request(llm: OpenAIStandIn, client: Client) -> None:
    llm.reply = lambda body: f"echo: {body['messages'][-1]['content']}"
    completion = await client().chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == "echo: How should we pilot an LLM?"


async def test_server_errors_are_retried_by_the_client(llm: OpenAIStandIn, client: Client) -> None:
    llm.fail_next(500, times=2)
    started = time.monotonic()
    completion = await client(max_retries=2).chat.completions.create(model="m", messages=MESSAGES)

    assert completion.choices[0].message.content == llm.reply
    assert len(llm.requests) == 3
    # retry-after-ms skips the client's backoff, which is >= 1.1 s for two retries.
    assert time.monotonic() - started < 1.0


async def test_server_error_without_retries_raises(llm: OpenAIStandIn, client: Client) -> None:
    llm.fail_next(500)
    with pytest.raises(openai.InternalServerError) as raised:
        await client(max_retries=0).chat.completions.create(model="m", messages=MESSAGES)
    assert raised.value.status_code == 500
    assert len(llm.requests) == 1


async def test_rate_limit_carries_retry_after(llm: OpenAIStandIn, client: Client) -> None:
    llm.fail_next(429, retry_after=0)
    with pytest.raises(openai.RateLimitError) as raised:
        await client(max_retries=0).embeddings.create(model="e", input="x")
    assert raised.value.response.headers["Retry-After"] == "0"
    assert raised.value.code == "rate_limit_exceeded"

    llm.fail_next(429, retry_after=0)
    await client(max_retries=1).embeddings.create(model="e", input="x")
    assert len(llm.requests) == 3


async def test_delay_beyond_timeout_raises_timeout(llm: OpenAIStandIn, client: Client) -> None:
    llm.delay = 2.0
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await client(max_retries=0, timeout=0.2).chat.completions.create(
            model="m", messages=MESSAGES
        )
    assert time.monotonic() - started < 1.5  # gave up well before the 2 s answer


async def test_embeddings_have_count_and_dimension(llm: OpenAIStandIn, client: Client) -> None:
    texts = ["pilot the model", "model pilot", "quarterly invoices"]
    result = await client().embeddings.create(model="text-embedding-3-small", input=texts)
    vectors = [item.embedding for item in result.data]

    assert [item.index for item in result.data] == [0, 1, 2]
    assert all(len(v) == EMBED_DIM for v in vectors)
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-5) for v in vectors)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    single = await client().embeddings.create(
        model="e", input="pilot the model", encoding_format="float"
    )
    assert single.data[0].embedding == pytest.approx(vectors[0], abs=1e-6)


async def test_embed_override(llm: OpenAIStandIn, client: Client) -> None:
    llm.embed = lambda text: [float(len(text)), 0.0, 1.0]
    result = await client().embeddings.create(model="e", input="abcd")
    assert result.data[0].embedding == [4.0, 0.0, 1.0]


async def test_models_lists_one_model(llm: OpenAIStandIn, client: Client) -> None:
    models = [m.id async for m in client().models.list()]
    assert models == [llm.model]


async def test_missing_bearer_token_is_401(llm: OpenAIStandIn) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{llm.base_url}/chat/completions", json={"model": "m"}) as response,
    ):
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "invalid_api_key"
