"""Socket Mode for real: apps.connections.open (on SLACK_API_URL) hands out a loopback
websocket, Slack says `hello`, sends a slash command and an app_mention as envelopes; each
envelope is acknowledged and the bot answers through the Web API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from structlog.testing import capture_logs

from adapters.slack.socket_mode import SocketModeRunner
from bot.clock import ManualClock
from config.settings import Settings
from scheduler.engine import Engine
from tests.conftest import make_settings
from tests.slack.conftest import (
    DANA,
    GENERAL,
    SlackHarness,
    running_socket_mode,
    running_worker,
)
from tests.standins.slack_api import BOT_TOKEN, SlackStandIn

APP_TOKEN = "xapp-1-A0CAIO-1-socket"
QUESTION = "how should we evaluate our RAG pipeline before launch?"
WAIT = 10.0  # a stuck connection fails the test instead of hanging it


def socket_settings(database_url: str, slack_api: SlackStandIn) -> Settings:
    """A worker's Slack settings: bot and app tokens, the stand-in as Slack."""
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_api_url=slack_api.api_url,
    )


@pytest.fixture
async def socket(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    settings = socket_settings(database_url, slack_api)
    async with running_socket_mode(settings, clock, slack_api) as harness:
        await asyncio.wait_for(slack_api.socket.connected.wait(), WAIT)
        yield harness


async def ask_over_the_socket(harness: SlackHarness, envelope_id: str) -> None:
    """`/caio ask` as a Socket Mode envelope: acked over the socket, then answered."""
    harness.api.socket.send(
        {
            "envelope_id": envelope_id,
            "payload": harness.command_payload(f"ask {QUESTION}"),
            "type": "slash_commands",
            "accepts_response_payload": True,
        }
    )
    ack = await asyncio.wait_for(harness.api.socket.acked(envelope_id), WAIT)
    assert ack["envelope_id"] == envelope_id
    await harness.settle()

    asked, answer = harness.api.delivered("chat.postMessage")
    assert asked.args["channel"] == GENERAL and f"*dana* asked: {QUESTION}" in asked.text
    assert answer.args["thread_ts"] == harness.api.messages[GENERAL][0]["ts"]
    assert answer.buttons == ["Helpful", "Not helpful", "Escalate"]


async def test_slash_command_over_the_socket_is_acked_and_answered(
    socket: SlackHarness,
) -> None:
    (opened,) = socket.api.delivered("apps.connections.open")
    assert opened.token == APP_TOKEN
    await ask_over_the_socket(socket, "1d3c8b4e-e0e3-4b1e-9a0d-57a1e3a0cmd1")


async def test_worker_runs_its_scheduler_while_slack_is_unreachable_then_connects(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    settings = socket_settings(database_url, slack_api)
    slack_answers = slack_api.hold("apps.connections.open")
    # A start that waited for Slack would time out here instead of hanging the suite.
    async with asyncio.timeout(WAIT), running_worker(settings, clock, slack_api) as (worker, parts):
        (engine,) = [p for p in parts if isinstance(p, Engine)]
        (socket_mode,) = [p for p in parts if isinstance(p, SocketModeRunner)]
        assert engine.scheduler is not None and engine.scheduler.running
        assert slack_api.calls("apps.connections.open")  # asked, still waiting for Slack
        assert not slack_api.socket.connected.is_set()
        # What /healthz names (in a `serve` process) while it retries by itself
        assert socket_mode.health.down() == {"slack socket mode": "connecting"}

        slack_answers.set()
        await slack_api.socket.connected.wait()
        await ask_over_the_socket(worker, "5e0a2c1d-7b3f-4c8e-9d6a-0f1e2d3cwrk1")
        assert socket_mode.health.down() == {}


async def test_socket_mode_retries_a_failing_slack_logging_each_attempt(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    settings = socket_settings(database_url, slack_api)
    # The Web API client retries a 503 four times itself: ten answer two attempts.
    slack_api.fail_next("apps.connections.open", 503, times=10)
    with capture_logs() as logs:
        async with running_socket_mode(settings, clock, slack_api) as harness:
            await asyncio.wait_for(slack_api.socket.connected.wait(), WAIT)
            await ask_over_the_socket(harness, "9c4b1a2e-3d5f-4e6a-8b7c-1a2b3c4dretr")

    failures = [e for e in logs if e["event"].startswith("slack socket mode: could not")]
    assert [(e["log_level"], e["attempt"]) for e in failures] == [("warning", 1), ("warning", 2)]
    assert "fatal_error" in failures[0]["error"]
    (connected,) = [e for e in logs if e["event"] == "slack socket mode connected"]
    assert connected["attempts"] == 3


async def test_stopping_while_slack_hangs_cancels_the_connection_attempt(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    settings = socket_settings(database_url, slack_api)
    slack_api.hold("apps.connections.open")
    async with running_worker(settings, clock, slack_api) as (_, parts):
        (runner,) = [p for p in parts if isinstance(p, SocketModeRunner)]
    assert runner.handler.client.closed
    assert not slack_api.socket.connected.is_set()


async def test_app_mention_over_the_socket_is_acked_and_answered_in_its_thread(
    socket: SlackHarness,
) -> None:
    mention_ts = socket.api.next_ts()
    event = {
        "type": "app_mention",
        "user": DANA,
        "text": f"<@UBOT> {QUESTION}",
        "ts": mention_ts,
        "channel": GENERAL,
    }
    socket.api.socket.send(
        {
            "envelope_id": "57a1e3a0-9a0d-4b1e-e0e3-1d3c8b4emnt1",
            "payload": socket.event_payload(event, event_id="Ev0SOCKET1"),
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
    )

    await asyncio.wait_for(socket.api.socket.acked("57a1e3a0-9a0d-4b1e-e0e3-1d3c8b4emnt1"), WAIT)
    await socket.settle()

    (answer,) = socket.api.delivered("chat.postMessage")
    assert answer.args["channel"] == GENERAL and answer.args["thread_ts"] == mention_ts
    assert "golden" in answer.text.lower() or "eval" in answer.text.lower()
