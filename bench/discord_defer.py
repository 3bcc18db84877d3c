"""Benchmark: 200 people's `/caio ask` at once over the gateway, the model taking 2 s.

Reports how long each INTERACTION_CREATE took to be deferred (p50/p99/max; Discord allows
3 s), and how many of the 200 answers reached their threads. Real discord.py (gateway
websocket, command tree, HTTP client), real database; Discord and the model are loopback
stand-ins.

    .venv/bin/python bench/discord_defer.py                      # SQLite in a temp dir
    CAIO_BENCH_DATABASE_URL=postgresql://… .venv/bin/python bench/discord_defer.py
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from adapters.discord import DiscordAdapter
from bot.db.migrate import upgrade
from bot.directory import ensure_client, link_workspace
from bot.events import Address
from bot.wiring import build_bot, start, stop
from config.settings import Settings
from tests.discord.conftest import GENERAL, GUILD, QUEUE, DiscordHarness, command_data
from tests.standins.discord_api import DiscordStandIn, user_payload
from tests.standins.openai_server import OpenAIStandIn

LOAD = 200
MODEL_DELAY = 2.0


async def run(database_url: str) -> None:
    api = DiscordStandIn()
    await api.start()
    api.add_guild(GUILD, "Acme")
    api.add_channel(GENERAL, GUILD, "general")
    api.add_channel(QUEUE, GUILD, "caio-queue")
    async with OpenAIStandIn("Start with a golden set of real questions [1].") as llm:
        llm.delay = MODEL_DELAY
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            discord_token="bench-token",
            discord_api_url=api.api_url,
            discord_gateway_url=api.gateway_url,
            openai_api_key="sk-bench",
            openai_base_url=llm.base_url,
        )
        bot = build_bot(settings)
        adapter = DiscordAdapter(bot)
        bot.add_adapter(adapter)
        async with bot.db.session() as session:
            queue = Address("discord", GUILD, QUEUE)
            await ensure_client(session, "acme", name="Acme", now=bot.clock.now(), queue=queue)
            await link_workspace(session, "acme", "discord", GUILD)
        await start(bot)
        await api.wait_for("PUT", f"/guilds/{GUILD}/commands")
        harness = DiscordHarness(api, bot, adapter)
        sent: dict[str, float] = {}
        began = time.perf_counter()
        for n in range(LOAD):
            data = command_data("ask", {"question": f"how do we evaluate RAG, case {n}?"})
            person = user_payload(str(1300000000000001000 + n), f"dev{n}")
            payload = harness.interaction(2, data, person, [], GENERAL)
            sent[payload["token"]] = time.perf_counter()
            await api.push("INTERACTION_CREATE", payload)
        await api.wait_for("POST", "/callback", LOAD)
        await harness.settle()
        total = time.perf_counter() - began
        latencies = sorted(
            (c.at - sent[c.path.split("/")[3]]) * 1000 for c in api.calls_to("POST", "/callback")
        )
        threads = harness.threads_of(GENERAL)
        answered = sum(1 for t in threads if len(api.in_channel(t)) >= 1)
        await stop(bot)
    await api.stop()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"machine: {os.cpu_count()} cpus, {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, {database_url.split(':')[0]}"
    )
    print(f"{'interactions':<28}{LOAD:>10}")
    print(f"{'model delay per answer (s)':<28}{MODEL_DELAY:>10.1f}")
    print(f"{'defer p50 (ms)':<28}{statistics.median(latencies):>10.1f}")
    print(f"{'defer p99 (ms)':<28}{p99:>10.1f}")
    print(f"{'defer max (ms)':<28}{latencies[-1]:>10.1f}")
    print(f"{'deferred over 3 s':<28}{sum(1 for x in latencies if x > 3000):>10}")
    print(f"{'answers in their threads':<28}{answered:>10}")
    print(f"{'wall time, all answered (s)':<28}{total:>10.1f}")


def main() -> None:
    url = os.environ.get("CAIO_BENCH_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    asyncio.run(run(url))


if __name__ == "__main__":
    main()
