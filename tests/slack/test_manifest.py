"""The shipped manifest and Procfile agree with the code (one source of truth each way)."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack.connector import EVENTS_PATH
from adapters.slack.oauth import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).parents[2]


def test_manifest_requests_the_scopes_and_events_the_adapter_uses() -> None:
    manifest = yaml.safe_load((ROOT / "slack-manifest.yml").read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/caio" and command["url"].endswith(EVENTS_PATH)
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    settings = manifest["settings"]
    assert settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert {"app_mention", "message.im", "app_home_opened", "tokens_revoked"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_procfile_runs_migrations_web_and_worker() -> None:
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert lines == {
        "release": "caio-bot db upgrade",
        "web": "caio-bot web --port $PORT",
        "worker": "caio-bot worker",
    }
