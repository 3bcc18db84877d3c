"""Acks before answers: answer work does not start while a Slack request is still being
acknowledged, and does once the requests stop (or its patience runs out)."""

from __future__ import annotations

import asyncio

from adapters.slack.ack_gate import AckGate


async def _turns(n: int = 20) -> None:
    """Let the loop run everything ready, several times over."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_work_waits_while_an_ack_is_in_flight() -> None:
    gate = AckGate(quiet=0, patience=60)
    with gate.acking():
        waiting = asyncio.create_task(gate.settled())
        await _turns()
        assert not waiting.done()
        with gate.acking():  # a second request overlapping the first
            pass
        await _turns()
        assert not waiting.done()
    await asyncio.wait_for(waiting, 5)


async def test_work_starts_at_once_when_nothing_is_being_acked() -> None:
    gate = AckGate(quiet=60, patience=60)
    await asyncio.wait_for(gate.settled(), 1)


async def test_sustained_load_cannot_starve_answers() -> None:
    gate = AckGate(quiet=0, patience=0)
    with gate.acking():
        await asyncio.wait_for(gate.settled(), 5)
