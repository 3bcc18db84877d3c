"""What each long-running part of a process last said about itself.

A connection that died or never came up is invisible from outside the process: the PaaS
sees it running. Parts (an adapter's login, a gateway) report here; `GET /healthz` shows
every part that is not up and why, and a process without HTTP (`worker`) exits when a part
has failed for good, so the platform restarts it and the operator sees it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from tenacity import AsyncRetrying, RetryCallState, wait_exponential_jitter

log = structlog.get_logger(__name__)


class State(StrEnum):
    STARTING = "starting"
    UP = "up"
    DOWN = "down"
    """Not working now; the part retries by itself."""
    FAILED = "failed"
    """Not working until the operator acts (a refused token, an intent switched off)."""


@dataclass(frozen=True)
class Status:
    state: State
    reason: str = ""


class Health:
    """The latest status of each named part; a part never reported counts as up."""

    def __init__(self) -> None:
        self._parts: dict[str, Status] = {}
        self._failed = asyncio.Event()

    def report(self, part: str, state: State, reason: str = "") -> None:
        """A failed part stays failed: only a restart, after the operator's fix, clears it,
        and a late "disconnected" from the same failure must not hide it."""
        if part in self._parts and self._parts[part].state is State.FAILED:
            return
        self._parts[part] = Status(state, reason)
        if state is State.FAILED:
            self._failed.set()

    def down(self) -> dict[str, str]:
        """Why each part that is not up is not, by part name."""
        return {
            part: status.reason or str(status.state)
            for part, status in sorted(self._parts.items())
            if status.state is not State.UP
        }

    def failed(self) -> dict[str, str]:
        """Why each part that needs the operator failed, by part name."""
        return {p: s.reason for p, s in sorted(self._parts.items()) if s.state is State.FAILED}

    async def wait_failed(self) -> dict[str, str]:
        """Returns once some part has failed for good."""
        await self._failed.wait()
        return self.failed()


def reconnecting(
    health: Health, part: str, doing: str, backoff: float, **options: Any
) -> AsyncRetrying:
    """How a part connects in the background: exponential backoff with jitter (`backoff`
    seconds doubling up to 120 times that), and per failed attempt one warning ("<part>:
    could not <doing>, retrying") and the reason on `/healthz`."""

    def failed(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        why = f"{type(error).__name__}: {error}"
        health.report(part, State.DOWN, f"cannot {doing}, retrying: {why}")
        log.warning(
            f"{part}: could not {doing}, retrying",
            attempt=state.attempt_number,
            error=why,
            retry_in=round(state.upcoming_sleep, 2),
        )

    return AsyncRetrying(
        wait=wait_exponential_jitter(multiplier=backoff, max=backoff * 120, jitter=backoff),
        before_sleep=failed,
        **options,
    )
