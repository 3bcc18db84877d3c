"""Socket Mode for real: apps.connections.open (on SLACK_API_URL) hands out a loopback
websocket, Slack says `hello`, sends a slash command and an app_mention as envelopes; each
envelope is acknowledged and the bot answers through the Web API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from tests.conftest import make_settings
from tests.slack.conftest import DANA, GENERAL, SlackHarness, running_socket_mode
from tests.standins.slack_api import BOT_TOKEN, SlackStandIn

APP_TOKEN = "xapp-1-A0CAIO-1-socket"
QUESTION = "how should we evaluate our RAG pipeline before launch?"
WAIT = 10.0  # a stuck connection fails the test instead of hanging it


@pytest.fixture
async def socket(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_api_url=slack_api.api_url,
    )
    async with running_socket_mode(settings, clock, slack_api) as harness:
        await asyncio.wait_for(slack_api.socket.connected.wait(), WAIT)
        yield harness


async def test_slash_command_over_the_socket_is_acked_and_answered(
    socket: SlackHarness,
) -> None:
    (opened,) = socket.api.delivered("apps.connections.open")
    assert opened.token == APP_TOKEN
    socket.api.socket.send(
        {
            "envelope_id": "1d3c8b4e-e0e3-4b1e-9a0d-57a1e3a0cmd1",
            "payload": socket.command_payload(f"ask {QUESTION}"),
            "type": "slash_commands",
            "accepts_response_payload": True,
        }
    )

    ack = await asyncio.wait_for(
        socket.api.socket.acked("1d3c8b4e-e0e3-4b1e-9a0d-57a1e3a0cmd1"), WAIT
    )
    assert ack["envelope_id"] == "1d3c8b4e-e0e3-4b1e-9a0d-57a1e3a0cmd1"
    await socket.settle()

    asked, answer = socket.api.delivered("chat.postMessage")
    assert asked.args["channel"] == GENERAL and f"*dana* asked: {QUESTION}" in asked.text
    assert answer.args["thread_ts"] == socket.api.messages[GENERAL][0]["ts"]
    assert answer.buttons == ["Helpful", "Not helpful", "Escalate"]


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
