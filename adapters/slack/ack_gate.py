"""Acks before answers: the work an event starts waits until Slack's requests stop arriving.

Everything shares one event loop, and drafting an answer holds it for milliseconds at a time
(database rows, retrieval's stemming, rendering). Started during a burst of slash commands,
that work would sit between the burst's later requests and their acknowledgements, which
Slack wants within 3 s. So the work waits for a short quiet spell with no request in
flight, or at most `patience` under sustained load, so answers are never starved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

QUIET = 0.02  # seconds without a request before answer work starts
PATIENCE = 0.25  # the longest answer work waits under sustained load (a busy workspace's
# message events never pause for long)


class AckGate:
    def __init__(self, quiet: float = QUIET, patience: float = PATIENCE) -> None:
        self.quiet = quiet
        self.patience = patience
        self._in_flight = 0
        self._open = asyncio.Event()
        self._open.set()
        self._quiet_timer: asyncio.TimerHandle | None = None
        self._patience_timer: asyncio.TimerHandle | None = None

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around the handling of one request from Slack, up to its acknowledgement."""
        loop = asyncio.get_running_loop()
        self._in_flight += 1
        if self._quiet_timer is not None:
            self._quiet_timer.cancel()
            self._quiet_timer = None
        if self._open.is_set():
            self._open.clear()
            self._patience_timer = loop.call_later(self.patience, self._release)
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._quiet_timer = loop.call_later(self.quiet, self._release)

    def _release(self) -> None:
        """Let the waiting work go: a quiet spell came, or the patience ran out."""
        for timer in (self._quiet_timer, self._patience_timer):
            if timer is not None:
                timer.cancel()
        self._quiet_timer = self._patience_timer = None
        self._open.set()

    async def settled(self) -> None:
        """Return once no request is being acknowledged (or `patience` has run out)."""
        await self._open.wait()
