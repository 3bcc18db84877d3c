"""The Slack side of the scheduler's outage tests: the real Slack adapter, in token mode,
against a Slack stand-in of the test's own (its scripted failures are the outage)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from tests.conftest import make_settings
from tests.slack.conftest import NAMES, SECRET, SlackHarness, running_slack
from tests.standins.slack_api import BOT_TOKEN, SlackStandIn


@pytest.fixture
async def slack(database_url: str, clock: ManualClock) -> AsyncIterator[SlackHarness]:
    async with SlackStandIn(users=dict(NAMES)) as api:
        settings = make_settings(
            database_url,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=api.api_url,
        )
        async with running_slack(settings, clock, api) as harness:
            yield harness
