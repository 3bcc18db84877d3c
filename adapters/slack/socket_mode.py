"""Slack Socket Mode as a worker component: connecting with backoff, and the ack gate
held while an envelope is acknowledged."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from adapters.slack.ack_gate import AckGate
from bot.health import Health, State, reconnecting

log = structlog.get_logger(__name__)

# A hung apps.connections.open counts as a failed attempt after this many seconds.
CONNECT_TIMEOUT = 30.0
HEALTH_PART = "slack socket mode"


class _GatedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, holding the ack gate while an envelope is acknowledged."""

    def __init__(self, app: AsyncApp, app_token: str, gate: AckGate) -> None:
        super().__init__(app, app_token)
        self.gate = gate

    async def handle(  # type: ignore[override]  # as Bolt's own handler narrows it
        self, client: SocketModeClient, req: SocketModeRequest
    ) -> None:
        with self.gate.acking():
            await super().handle(client, req)


class SocketModeRunner:
    """Slack Socket Mode as a worker component (no public HTTP endpoint needed).

    `start` only begins connecting: a Slack outage at deploy time must not hold back the
    scheduler and the other adapters started after it. Asking Slack for a socket URL
    (`apps.connections.open`) is retried with exponential backoff until it answers; from
    the websocket on, slack_sdk's client reconnects by itself."""

    def __init__(
        self, app: AsyncApp, app_token: str, gate: AckGate, backoff: float, health: Health
    ) -> None:
        self.handler = _GatedSocketModeHandler(app, app_token, gate)
        self.backoff = backoff
        self.health = health
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.health.report(HEALTH_PART, State.DOWN, "connecting")
        self._connecting = asyncio.create_task(self._connect(), name="slack socket mode")

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        await self.handler.close_async()

    async def _connect(self) -> None:
        client = self.handler.client
        retrying = reconnecting(self.health, HEALTH_PART, "open a connection", self.backoff)
        async for attempt in retrying:
            with attempt:
                # Straight to the Web API rather than slack_sdk's `issue_new_wss_url`,
                # which logs the failure too: one line per attempt is enough.
                opened = await asyncio.wait_for(
                    client.web_client.apps_connections_open(app_token=client.app_token),
                    CONNECT_TIMEOUT,
                )
        client.wss_uri = opened["url"]
        await client.connect()
        self.health.report(HEALTH_PART, State.UP)
        log.info("slack socket mode connected", attempts=retrying.statistics["attempt_number"])
