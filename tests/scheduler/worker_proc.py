"""One worker process for the exactly-once test: names its heartbeat, then at each of the
given times, once a go line arrives on stdin, runs the engine, printing every message it
sends as a JSON line, then a done line. The test writes every worker's heartbeat before each
go, and the go lines keep the workers' manual clocks together, as real workers share one
clock: a worker still at the last moment would look dead to one already at the next, and
its fires be taken while it sends them."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import datetime

from bot.clock import ManualClock
from bot.events import Address
from bot.message import Message, Posted
from bot.wiring import build_bot, stop
from scheduler.engine import Engine
from tests.conftest import make_settings


class Recording:
    """An adapter that prints what it is asked to send (the process's whole output)."""

    platform = "console"
    live_updates = False

    def _print(self, address: Address, message: Message) -> Posted:
        print(json.dumps({"to": address.key, "text": message.plain}), flush=True)
        return Posted(address, uuid.uuid4().hex)

    async def send(self, message: Message) -> Posted:
        assert message.address is not None
        return self._print(message.address, message)

    async def update(self, posted: Posted, message: Message) -> None:
        self._print(posted.address, message)

    async def open_thread(self, root: Posted, title: str) -> Address:
        return root.address.in_thread(root.message_id)

    async def react(self, posted: Posted, emoji: str) -> None:
        return None

    async def permalink(self, address: Address) -> str:
        return address.key

    async def send_direct(self, workspace: str, user_id: str, message: Message) -> Posted:
        return self._print(Address("console", workspace, f"@{user_id}"), message)

    async def has_member(self, workspace: str, user_id: str) -> bool:
        """As on the console: everyone belongs to its one workspace."""
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


async def main(url: str, name: str, times: list[datetime]) -> None:
    clock = ManualClock(times[0])
    bot = build_bot(make_settings(url), clock=clock)
    bot.add_adapter(Recording())
    engine = Engine(bot)
    print(json.dumps({"ready": name, "process": bot.liveness.process}), flush=True)
    for moment in times:
        await asyncio.to_thread(sys.stdin.readline)  # go: every worker is done with the last
        clock.set(moment)
        await engine.run_due(moment)
        print(json.dumps({"done": moment.isoformat()}), flush=True)
    await stop(bot)


if __name__ == "__main__":
    url, name, *stamps = sys.argv[1:]
    asyncio.run(main(url, name, [datetime.fromisoformat(s) for s in stamps]))
