"""Benchmark: bursts of 200 concurrent signed `/caio ask` while the model takes 2 s per answer.

Reports the acknowledgement latency (p50/p99/max) of caio-bot's Slack endpoint and of a bare
Bolt AsyncApp that only acks, served side by side, their bursts alternating over five rounds
(which goes first alternates too, so a noisy machine weighs on both alike); a probe of 20
more asks sent 0.5 s after each burst, while its answers are being drafted; and how many
answers reached Slack. Targets: our p99 within 1.25x the bare app's, no ack over 3 s, every
answer delivered. Real Bolt, real aiohttp, real database; the load comes from another
process; Slack's Web API and the model are loopback stand-ins (in this process, so their
work shares our loop: a handicap).

    .venv/bin/python bench/slack_ack.py                      # SQLite in a temp dir
    CAIO_BENCH_DATABASE_URL=postgresql://… .venv/bin/python bench/slack_ack.py
    CAIO_BENCH_ACK_GATE=off .venv/bin/python bench/slack_ack.py   # answers start at once
    CAIO_BENCH_GC_FREEZE=off .venv/bin/python bench/slack_ack.py  # no gc.freeze() at start
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
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

from adapters.slack import SlackAdapter, slack_components
from adapters.slack.ack_gate import AckGate
from bot.core import Bot
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
ROUNDS = 5
PROBE = 20
PROBE_AFTER = 0.5  # seconds after the burst is acked
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


async def _fire(url: str, api: SlackStandIn, count: int, first: int = 0) -> list[float]:
    """Load from another process, as Slack is another machine: the server's event loop is
    not also the load generator's."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1) as pool:
        return await loop.run_in_executor(pool, _fire_in_process, url, api.port, count, first)


def _fire_in_process(url: str, api_port: int, count: int, first: int) -> list[float]:
    api = SlackStandIn()
    api.port = api_port  # only for building response_urls
    return asyncio.run(_fire_all(url, api, range(first, first + count)))


async def _fire_all(url: str, api: SlackStandIn, numbers: range) -> list[float]:
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

        return list(await asyncio.gather(*(one(n) for n in numbers)))


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


class Bare:
    """The floor: Bolt with one listener that acks and does nothing else."""

    def __init__(self, api: SlackStandIn) -> None:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api.api_url)
        self.bolt = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)
        self.bolt.command("/caio")(self._only_ack)
        self.http = web.Application()
        self.http.router.add_post("/slack/events", self._events)

    async def _only_ack(self, ack: AsyncAck) -> None:
        await ack()

    async def _events(self, request: web.Request) -> web.Response:
        bolt_response = await self.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)


def _settings(api: SlackStandIn, llm: OpenAIStandIn, url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api.api_url,
        openai_api_key="sk-bench",
        openai_base_url=llm.base_url,
    )


@dataclass
class Round:
    bare: list[float]
    ours: list[float]
    during: list[float]  # acks of the probe sent while the burst's answers were drafted
    delivered: int
    seconds: float


async def _caio_round(bot: Bot, api: SlackStandIn, url: str) -> tuple[list[float], list[float]]:
    """The burst, then (once it is acked) a probe burst while its answers are being drafted."""
    acks = await _fire(url, api, LOAD)
    await asyncio.sleep(PROBE_AFTER)
    during = await _fire(url, api, PROBE, first=LOAD)
    await bot.drain(grace=120)
    return acks, during


async def rounds(api: SlackStandIn, llm: OpenAIStandIn, url: str) -> list[Round]:
    """Both apps served side by side; their bursts alternate, so the machine's mood
    affects both alike."""
    bot = build_bot(_settings(api, llm, url))
    http = make_app(bot)
    slack_components(bot, http=http, gateways=False)
    if os.environ.get("CAIO_BENCH_ACK_GATE") == "off":
        adapter = bot.adapters["slack"]
        assert isinstance(adapter, SlackAdapter)
        adapter.gate = AckGate(quiet=0, patience=0)
    async with bot.db.session() as session:
        await ensure_client(session, "bench", name="Bench Co", now=bot.clock.now())
        await link_workspace(session, "bench", "slack", TEAM)
    await start(bot)
    ours_runner, ours_port = await _serve(http)
    bare_runner, bare_port = await _serve(Bare(api).http)
    if os.environ.get("CAIO_BENCH_GC_FREEZE") != "off":
        gc.freeze()  # as `caio-bot serve|web|worker` does once started (bot/runtime.py)
    ours_url = f"http://127.0.0.1:{ours_port}/slack/events"
    bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
    results: list[Round] = []
    try:
        llm.delay = 0.0
        await _fire(bare_url, api, LOAD)  # warm-up (auth.test, connections, caches)
        await _fire(ours_url, api, LOAD)
        await bot.drain(grace=120)
        llm.delay = MODEL_DELAY
        for n in range(ROUNDS):
            api.log.clear()
            if n % 2 == 0:  # which app goes first alternates, so neither gets the calmer slot
                bare = await _fire(bare_url, api, LOAD)
            began = time.perf_counter()
            ours, during = await _caio_round(bot, api, ours_url)
            seconds = time.perf_counter() - began
            if n % 2 == 1:
                bare = await _fire(bare_url, api, LOAD)
            results.append(Round(bare, ours, during, _answers(api), seconds))
    finally:
        await ours_runner.cleanup()
        await bare_runner.cleanup()
        await stop(bot)
    return results


def _answers(api: SlackStandIn) -> int:
    final = [
        c
        for c in api.delivered("chat.update") + api.delivered("chat.postMessage")
        if "Helpful" in c.buttons
    ]
    return len({(c.args["channel"], c.args.get("ts") or c.args.get("thread_ts")) for c in final})


def _pct(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)
    )


def _ms(values: list[float], q: int) -> str:
    return f"{_pct(values, q) * 1000:.0f}"


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
            results = await rounds(api, llm, url)
    db = url.split(":")[0]
    gate = os.environ.get("CAIO_BENCH_ACK_GATE", "on")
    print(
        f"{LOAD} concurrent signed /caio ask per burst, model delay {MODEL_DELAY:.0f} s, db {db}; "
        f"probe: {PROBE} more asks {PROBE_AFTER} s after the burst, while it is answered; "
        f"ack gate {gate}, gc.freeze {os.environ.get('CAIO_BENCH_GC_FREEZE', 'on')}"
    )
    print("round  bare p50/p99 ms  caio p50/p99/max ms  p99 ratio  probe p99/max ms  >3 s  answers")
    for n, r in enumerate(results, 1):
        ratio = _pct(r.ours, 99) / _pct(r.bare, 99)
        over = sum(a > 3 for a in r.ours + r.during)
        print(
            f"{n:5}  {_ms(r.bare, 50):>6}/{_ms(r.bare, 99):<7} "
            f"{_ms(r.ours, 50):>8}/{_ms(r.ours, 99)}/{_ms(r.ours, 100):<8} {ratio:9.2f}  "
            f"{_ms(r.during, 99):>8}/{_ms(r.during, 100):<7} {over:5}  "
            f"{r.delivered}/{LOAD + PROBE} in {r.seconds:.1f} s"
        )
    ratios = [_pct(r.ours, 99) / _pct(r.bare, 99) for r in results]
    print(
        f"p99 ratio caio/bare: median {statistics.median(ratios):.2f}, "
        f"range {min(ratios):.2f}-{max(ratios):.2f} (target <= 1.25)"
    )
    print(
        f"machine: {os.cpu_count()} cpus, {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}"
    )


if __name__ == "__main__":
    asyncio.run(main())
