"""The model behind the advisor: any OpenAI-compatible endpoint through the `openai` client.

Timeouts and retries on 429/5xx are the client's own (`timeout`, `max_retries`), not ours.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from openai import AsyncOpenAI, AsyncStream

from config.settings import Settings

OnText = Callable[[str], Awaitable[None]]


class ModelError(Exception):
    """The endpoint answered with something that is not a completion (no choices, an HTML
    page from a proxy, a broken stream chunk): as unusable as a 500."""


# OpenAI's reasoning models (o1, o3, o4-mini, the gpt-5 family) answer 400 to any
# temperature but the default and to `max_tokens`; they also spend part of the budget
# thinking, so they get headroom beyond the answer's length. Every other name, including
# any non-OpenAI model, gets the classic parameters all compatible servers accept.
_REASONING_MODEL = re.compile(r"^(?:openai/)?(?:o\d|gpt-5)", re.IGNORECASE)
_REASONING_HEADROOM = 4000


def sampling(model: str, temperature: float, max_tokens: int) -> dict[str, Any]:
    """The length and sampling parameters `model` accepts."""
    if _REASONING_MODEL.match(model):
        return {
            "max_completion_tokens": max_tokens + _REASONING_HEADROOM,
            "reasoning_effort": "low",
        }
    return {"temperature": temperature, "max_tokens": max_tokens}


class LLM:
    def __init__(self, settings: Settings) -> None:
        assert settings.openai_api_key is not None
        self.model = settings.llm_model
        self.temperature = settings.llm_temperature
        self.max_tokens = settings.llm_max_tokens
        self.client = AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    async def complete(self, messages: list[dict[str, str]], on_text: OnText | None = None) -> str:
        """The model's answer; with `on_text`, streamed and reported as it grows. Raises
        `openai.APIError` or `ModelError` when there is none to be had."""
        try:
            return await self._complete(messages, on_text)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed answer from {self.model}: {exc!r}") from exc

    async def _complete(self, messages: list[dict[str, str]], on_text: OnText | None) -> str:
        if on_text is None:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                **sampling(self.model, self.temperature, self.max_tokens),
            )
            return response.choices[0].message.content or ""
        stream = await self.client.chat.completions.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            **sampling(self.model, self.temperature, self.max_tokens),
        )
        text = ""
        assert isinstance(stream, AsyncStream)
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
                await on_text(text)
        return text

    async def close(self) -> None:
        await self.client.close()
