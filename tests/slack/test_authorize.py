"""Nothing slow before the ack: Bolt's authorize step never waits for Slack's `auth.test`,
in token mode (the bot's ids are learnt after start) or with OAuth installs (read from the
stored install), and a failing `auth.test` never tells users to reinstall the app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from config.settings import Settings
from tests.slack.conftest import SlackHarness, oauth_settings, running_slack
from tests.slack.test_home_and_install import install
from tests.standins.slack_api import SlackStandIn

WAIT = 10.0  # an ack stuck behind auth.test fails the test instead of hanging it
REINSTALL = "reinstall"


def _answers(slack: SlackHarness) -> list[str]:
    return [c.text for c in slack.api.calls("response_url")]


async def test_token_mode_acks_while_auth_test_hangs(
    slack_settings: Settings, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    release = slack_api.hold("auth.test")
    async with running_slack(slack_settings, clock, slack_api) as slack:
        reply = await asyncio.wait_for(slack.command("help"), WAIT)

        assert reply.status == 200
        assert len(slack_api.calls("auth.test")) == 1  # asked at start, still unanswered
        release.set()
        await slack.settle()
    (answer,) = _answers(slack)
    assert "/caio ask" in answer and REINSTALL not in answer


async def test_token_mode_answers_when_auth_test_keeps_failing(
    slack_settings: Settings, clock: ManualClock, slack_api: SlackStandIn
) -> None:
    slack_api.fail_next("auth.test", 200, times=2, error="internal_error")
    async with running_slack(slack_settings, clock, slack_api) as slack:
        await slack.settle()
        await slack.command("help")
        await slack.settle()
    (answer,) = _answers(slack)
    assert "/caio ask" in answer and REINSTALL not in answer
    # asked at start, and again (after the ack) by the first request: both refused
    assert [c.failed for c in slack_api.calls("auth.test")] == [True, True]


@pytest.fixture
async def installed(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    """OAuth mode with the Globex workspace installed through the real flow."""
    settings = oauth_settings(database_url, slack_api)
    async with running_slack(settings, clock, slack_api) as harness:
        await install(harness)
        yield harness


async def test_oauth_requests_are_authorized_from_the_stored_install(
    installed: SlackHarness,
) -> None:
    at_install = len(installed.api.calls("auth.test"))
    installed.api.hold("auth.test")  # any auth.test from here on would hang its request

    for _ in range(3):
        reply = await asyncio.wait_for(installed.command("help", team="T0NEW"), WAIT)
        assert reply.status == 200
    await installed.settle()

    assert len(installed.api.calls("auth.test")) == at_install
    answers = _answers(installed)
    assert len(answers) == 3 and all("/caio ask" in a and REINSTALL not in a for a in answers)


async def test_oauth_mentions_know_the_bots_user_from_the_install(
    installed: SlackHarness,
) -> None:
    mention = {
        "type": "app_mention",
        "user": "UINSTALLER",
        "text": "<@UBOTG> how should we evaluate our RAG pipeline?",
        "ts": "1764000200.000100",
        "channel": "CGLOBEX",
    }
    await installed.event(mention, team="T0NEW")
    await installed.settle()

    (asked,) = installed.api.delivered("chat.postMessage")
    assert asked.token == "xoxb-globex" and asked.args["thread_ts"] == mention["ts"]
    assert "UBOTG" not in asked.text
