"""Fixtures for retrieval tests: the OpenAI stand-in as the embedding endpoint (and model),
and a console conversation with a bot wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.clock import ManualClock
from bot.core import Bot
from bot.wiring import bootstrap_console, build_bot, start, stop
from tests.conftest import Chat, make_settings
from tests.standins.openai_server import EMBED_DIM, OpenAIStandIn, hashed_bag_of_words

EMBED_MODEL = "stand-in-embed"


def concept_vectors(concepts: dict[str, list[str]]) -> Callable[[str], list[float]]:
    """Controlled embeddings: a text lies on the axis of the first concept whose cue it
    contains; any other text gets the stand-in's hashed bag of words off those axes."""
    names = list(concepts)

    def embed(text: str) -> list[float]:
        lowered = text.lower()
        for axis, name in enumerate(names):
            if any(cue in lowered for cue in concepts[name]):
                return [1.0 if i == axis else 0.0 for i in range(EMBED_DIM)]
        words = hashed_bag_of_words(text, EMBED_DIM - len(names))
        return [0.0] * len(names) + words

    return embed


@pytest.fixture
async def standin() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn("Draft from the model [1].") as server:
        yield server


@pytest.fixture
async def hybrid_bot(
    database_url: str, clock: ManualClock, standin: OpenAIStandIn
) -> AsyncIterator[Bot]:
    """A bot with no chat model (offline drafts) but with the embedding endpoint."""
    settings = make_settings(
        database_url,
        openai_base_url=standin.base_url,
        CAIO_EMBEDDING_MODEL=EMBED_MODEL,
        CAIO_EMBEDDING_MIN_SIMILARITY=0.5,
    )
    bot = build_bot(settings, clock=clock)
    yield bot
    await stop(bot)


@pytest.fixture
async def hybrid_chat(hybrid_bot: Bot) -> Chat:
    conversation = Chat(hybrid_bot)
    hybrid_bot.add_adapter(conversation.adapter)
    await bootstrap_console(hybrid_bot)
    await start(hybrid_bot)
    return conversation
