"""Embeddings from the configured OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Azure,
Ollama, vLLM): no model weights are ever loaded in this process.

Vectors come back L2-normalised float32, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import hashlib

import numpy as np
from openai import AsyncOpenAI

from config.settings import Settings

BATCH = 64  # inputs per request: well under every provider's per-request limit
MAX_CHARS = 6000  # about 1.5k tokens: inside every common model's input window


class EmbeddingError(Exception):
    """The endpoint answered 200 with something that is not vectors (an HTML page from a
    proxy, no `data`, too few rows, rows of mixed length)."""


def text_hash(text: str) -> str:
    """What identifies embedded text, so unchanged entries are never embedded twice."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class Embedder:
    """One model on one endpoint; `model` is stored with every vector it makes."""

    def __init__(self, settings: Settings) -> None:
        assert settings.embedding_model is not None
        self.model = settings.embedding_model
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self.client = AsyncOpenAI(
            api_key=key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    async def embed(self, texts: list[str]) -> np.ndarray:
        """One normalised row per text, in order; batches are sent one after another."""
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), BATCH):
            batch = [t[:MAX_CHARS] or " " for t in texts[start : start + BATCH]]
            response = await self.client.embeddings.create(
                model=self.model, input=batch, encoding_format="float"
            )
            try:
                ordered = sorted(response.data, key=lambda d: d.index)
                matrix = np.array([d.embedding for d in ordered], dtype=np.float32)
            except (AttributeError, TypeError, ValueError) as exc:
                raise EmbeddingError(f"endpoint returned no usable vectors: {exc!r}") from exc
            if matrix.ndim != 2 or len(matrix) != len(batch):
                raise EmbeddingError(f"endpoint returned {len(ordered)} vectors for {len(batch)}")
            rows.append(matrix)
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise(np.vstack(rows))

    async def close(self) -> None:
        await self.client.close()
