"""What the operator reads at start when the Slack variables cannot work together, and
which Slack mode each process kind says it runs."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.slack.socket_mode import SocketModeRunner
from bot.runtime import SERVE, WEB, WORKER, ProcessKind, components_for
from bot.wiring import build_bot, stop
from tests.conftest import make_settings
from tests.slack.conftest import SECRET
from tests.standins.slack_api import BOT_TOKEN

APP_TOKEN = "xapp-1-A0CAIO-1-config"


async def start_logs(
    database_url: str, kind: ProcessKind, **env: str
) -> list[MutableMapping[str, Any]]:
    """The complaints about Slack that assembling a process of `kind` logs."""
    bot = build_bot(make_settings(database_url, **env))
    with capture_logs() as logs:
        parts = components_for(bot, kind, 0)
    for runner in (p for p in parts if isinstance(p, SocketModeRunner)):
        await runner.stop()  # never started, but its HTTP session is open from the start
    await stop(bot)
    return [entry for entry in logs if entry["event"] == "slack misconfigured"]


async def test_a_web_process_without_signing_secret_says_slack_events_cannot_arrive(
    database_url: str,
) -> None:
    (logged,) = await start_logs(database_url, WEB, slack_bot_token=BOT_TOKEN)
    assert logged["log_level"] == "error"
    assert "SLACK_SIGNING_SECRET is not set" in logged["problem"]
    assert "/slack/events" in logged["problem"]


async def test_an_app_token_without_a_bot_token_warns_that_slack_is_off(
    database_url: str,
) -> None:
    (logged,) = await start_logs(database_url, WORKER, slack_app_token=APP_TOKEN)
    assert logged["log_level"] == "warning"
    assert logged["problem"].startswith("SLACK_APP_TOKEN is set without SLACK_BOT_TOKEN")


@pytest.mark.parametrize(
    ("kind", "env"),
    [
        (WORKER, {"slack_bot_token": BOT_TOKEN}),  # the Procfile split: web has the secret
        (WEB, {"slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN}),  # worker's socket
        (SERVE, {"slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN}),
        (SERVE, {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SECRET}),
        (SERVE, {}),
    ],
)
async def test_configurations_that_work_log_no_complaint(
    database_url: str, kind: ProcessKind, env: dict[str, str]
) -> None:
    assert await start_logs(database_url, kind, **env) == []


TOKEN_HTTP = {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SECRET}
EVERYTHING = {**TOKEN_HTTP, "slack_app_token": APP_TOKEN}
OAUTH = {"slack_client_id": "1.2", "slack_client_secret": "s", "slack_signing_secret": SECRET}


@pytest.mark.parametrize(
    ("kind", "env", "mode"),
    [
        (WEB, TOKEN_HTTP, "http (token)"),
        (WORKER, TOKEN_HTTP, "posting only (token)"),
        (WORKER, EVERYTHING, "socket mode (token)"),
        (WEB, EVERYTHING, "http (token)"),
        (SERVE, EVERYTHING, "http + socket mode (token)"),
        (WEB, OAUTH, "http (oauth)"),
        (SERVE, {"slack_app_token": APP_TOKEN}, "off"),
        (WORKER, {}, "off"),
    ],
)
def test_each_process_names_the_slack_mode_it_runs(
    database_url: str, kind: ProcessKind, env: dict[str, str], mode: str
) -> None:
    settings = make_settings(database_url, **env)
    assert settings.slack_setup(http=kind.http, gateways=kind.gateways).mode == mode
