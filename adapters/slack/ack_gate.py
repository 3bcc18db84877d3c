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
from contextlib import contextmanager, suppress

QUIET = 0.02  # seconds without a request before answer work starts
PATIENCE = 0.25  # the longest answer work waits under sustained load (a busy workspace's
# message events never pause for long)


class AckGate:
    def __init__(self, quiet: float = QUIET, patience: float = PATIENCE) -> None:
        self.quiet = quiet
        self.patience = patience
        self._in_flight = 0
        self._settled = asyncio.Event()
        self._settled.set()
        self._timer: asyncio.TimerHandle | None = None

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around the handling of one request from Slack, up to its acknowledgement."""
        self._in_flight += 1
        self._settled.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._timer = asyncio.get_running_loop().call_later(self.quiet, self._settle)

    def _settle(self) -> None:
        self._timer = None
        if self._in_flight == 0:
            self._settled.set()

    async def settled(self) -> None:
        """Return once no request is being acknowledged (or `patience` has run out)."""
        if self._settled.is_set():
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), self.patience)
