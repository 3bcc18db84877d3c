"""Benchmark: 200 concurrent signed `/caio ask` while the model takes 2 s per answer.

Reports the acknowledgement latency (p50/p99/max) of caio-bot's Slack endpoint and, in the
same run, of a bare Bolt AsyncApp that only acks; then how many of the 200 answers reached
Slack. Targets: our p99 within 1.25x the bare app's, no ack over 3 s, all answers
delivered. Real Bolt, real aiohttp, real database; Slack's Web API and the model are
loopback stand-ins.

    .venv/bin/python bench/slack_ack.py                      # SQLite in a temp dir
    CAIO_BENCH_DATABASE_URL=postgresql://… .venv/bin/python bench/slack_ack.py
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).parents[1]))

from adapters.slack import slack_components
from bot.db.engine import sync_url
from bot.db.migrate import upgrade
from bot.directory import ensure_client, link_workspace
from bot.http import make_app
from bot.wiring import build_bot, start, stop
from config.settings import Settings
from tests.standins.openai_server import OpenAIStandIn
from tests.standins.slack_api import BOT_TOKEN, TEAM, SlackStandIn

LOAD = 200
MODEL_DELAY = 2.0
SECRET = "bench-signing-secret"


def _signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def _command(n: int, api: SlackStandIn) -> bytes:
    return urlencode(
        {
            "team_id": TEAM,
            "channel_id": f"CBENCH{n % 20:02d}",
            "user_id": f"UB{n:05d}",
            "user_name": f"dev{n}",
            "command": "/caio",
            "text": f"ask how should team {n} evaluate its RAG pipeline before launch?",
            "response_url": api.response_url(f"bench-{n}"),
            "trigger_id": f"trigger-{n}",
        }
    ).encode()


async def _fire(url: str, api: SlackStandIn) -> list[float]:
    """Load from another process, as Slack is another machine: the server's event loop is
    not also the load generator's."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1) as pool:
        return await loop.run_in_executor(pool, _fire_in_process, url, api.port)


def _fire_in_process(url: str, api_port: int) -> list[float]:
    api = SlackStandIn()
    api.port = api_port  # only for building response_urls
    return asyncio.run(_fire_all(url, api))


async def _fire_all(url: str, api: SlackStandIn) -> list[float]:
    """All requests at once; each one's time to the acknowledgement (HTTP 200)."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int) -> float:
            body = _command(n, api)
            began = time.perf_counter()
            async with session.post(url, data=body, headers=_signed(body)) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            return time.perf_counter() - began

        return list(await asyncio.gather(*(one(n) for n in range(LOAD))))


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def bare_bolt(api: SlackStandIn) -> list[float]:
    """The floor: Bolt with one listener that acks and does nothing else."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
    bolt = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)

    @bolt.command("/caio")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    http = web.Application()
    http.router.add_post("/slack/events", events)
    runner, port = await _serve(http)
    try:
        await _fire(f"http://127.0.0.1:{port}/slack/events", api)  # warm-up (auth.test)
        return await _fire(f"http://127.0.0.1:{port}/slack/events", api)
    finally:
        await runner.cleanup()


async def caio(api: SlackStandIn, llm: OpenAIStandIn, url: str) -> tuple[list[float], float]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api.api_url,
        openai_api_key="sk-bench",
        openai_base_url=llm.base_url,
    )
    bot = build_bot(settings)
    http = make_app(bot)
    slack_components(bot, http=http, gateways=False)
    async with bot.db.session() as session:
        await ensure_client(session, "bench", name="Bench Co", now=bot.clock.now())
        await link_workspace(session, "bench", "slack", TEAM)
    await start(bot)
    runner, port = await _serve(http)
    try:
        llm.delay = 0.0
        await _fire(f"http://127.0.0.1:{port}/slack/events", api)  # warm-up
        await bot.drain(grace=120)
        api.log.clear()
        llm.delay = MODEL_DELAY
        began = time.perf_counter()
        acks = await _fire(f"http://127.0.0.1:{port}/slack/events", api)
        await bot.drain(grace=120)
        return acks, time.perf_counter() - began
    finally:
        await runner.cleanup()
        await stop(bot)


def _answers(api: SlackStandIn) -> int:
    final = [
        c
        for c in api.delivered("chat.update") + api.delivered("chat.postMessage")
        if "Helpful" in c.buttons
    ]
    return len({(c.args["channel"], c.args.get("ts") or c.args.get("thread_ts")) for c in final})


def _pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)
    )


async def main() -> None:
    url = os.environ.get("CAIO_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if url:
            engine = sa.create_engine(sync_url(url))
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            engine.dispose()
        url = url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        async with SlackStandIn() as api, OpenAIStandIn("Build a golden set first [1].") as llm:
            bare = await bare_bolt(api)
            ours, total = await caio(api, llm, url)
            delivered = _answers(api)
    bare_p99, ours_p99 = _pct(bare, 99), _pct(ours, 99)
    db = url.split(":")[0]
    print(f"{LOAD} concurrent signed /caio ask, model delay {MODEL_DELAY:.0f} s, db {db}")
    print(f"{'':22}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for name, acks in (("bare Bolt (ack only)", bare), ("caio-bot", ours)):
        p50, p99, top = (_pct(acks, 50), _pct(acks, 99), max(acks))
        print(f"{name:22}{p50 * 1000:9.1f}{p99 * 1000:9.1f}{top * 1000:9.1f}")
    print(f"p99 ratio caio/bare: {ours_p99 / bare_p99:.2f} (target <= 1.25)")
    print(f"acks over 3 s: {sum(a > 3 for a in ours)} (target 0)")
    print(f"answers delivered: {delivered}/{LOAD} in {total:.1f} s (target {LOAD})")
    print(
        f"machine: {os.cpu_count()} cpus, {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}"
    )


if __name__ == "__main__":
    asyncio.run(main())
