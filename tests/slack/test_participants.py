"""Whether someone belongs to a Slack workspace, asked of users.info: a stand-up's new
participants must (user ids are public; someone from a Slack Connect partner or another
client's workspace must not be prompted for this team's stand-up). On Slack a typed mention
arrives as `@name`, so a setup line names only people the client already knows; a raw
`<@U…>` (a form's field, say) is asked about."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from tests.slack.conftest import CAIO, NAMES, SAM, SlackHarness
from tests.slack.test_forms import opened_view, submit
from tests.standins.slack_api import TEAM, SlackStandIn

EVE = "UEVE"
ELSEWHERE = "T0GLOBEX"


class TeamsStandIn(SlackStandIn):
    """users.info with each user's `team_id`, as Slack answers it: eve is of another team."""

    def _users_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        found = super()._users_info(args, token)
        if found["ok"]:
            found["user"]["team_id"] = ELSEWHERE if args["user"] == EVE else TEAM
        return found


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackStandIn]:
    async with TeamsStandIn(users={**NAMES, EVE: "eve"}) as api:
        yield api


async def test_only_users_of_this_workspace_are_members(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    adapter = slack.bot.adapters["slack"]
    assert isinstance(adapter, SlackAdapter)
    assert await adapter.has_member(TEAM, SAM)
    assert not await adapter.has_member(TEAM, EVE), "another team's user"
    assert not await adapter.has_member(TEAM, "UNOBODY"), "users.info: user_not_found"
    assert [c.args["user"] for c in slack_api.calls("users.info")] == [SAM, EVE, "UNOBODY"]


async def test_a_setup_form_naming_another_workspace_user_is_refused(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    """The setup form's participants field is plain text, so a raw `<@UEVE>` arrives as such."""
    await slack.command("standup setup", user=CAIO)
    await slack.settle()
    answers = {"when": "09:30 UTC", "days": "mon-fri", "window": "4h"}
    await submit(slack, opened_view(slack_api), {**answers, "participants": f"<@{EVE}>"})
    await slack.settle()
    said = slack_api.calls("chat.postEphemeral")[-1].args["text"]
    assert f"&lt;@{EVE}&gt; is not in this workspace, so I can't add them as participants" in said
    assert "Nothing saved" in said

    await submit(slack, opened_view(slack_api), {**answers, "participants": f"<@{SAM}>"})
    await slack.settle()
    assert "Stand-up set up" in slack_api.delivered("chat.postMessage")[-1].text
