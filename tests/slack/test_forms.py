"""Forms on Slack: a bare `/caio decide <title>` or `/caio standup setup` opens a modal with
the slash command's trigger; its `view_submission` is acknowledged (with field errors when a
required input is blank) and recorded like the one-line form. Real Bolt app, signed requests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from tests.slack.conftest import CAIO, DANA, GENERAL, SAM, Reply, SlackHarness
from tests.standins.slack_api import TEAM, SlackStandIn


def opened_view(api: SlackStandIn, n: int = -1) -> dict[str, Any]:
    call = api.delivered("views.open")[n]
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


async def submit(
    slack: SlackHarness, view: dict[str, Any], answers: dict[str, str], user: str = CAIO
) -> Reply:
    """A `view_submission` as Slack posts it: the opened view plus each input's state."""
    values = {
        block["block_id"]: {
            block["element"]["action_id"]: {
                "type": "plain_text_input",
                "value": answers.get(block["block_id"]) or None,
            }
        }
        for block in view["blocks"]
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": user, "username": "carla", "name": "carla", "team_id": TEAM},
        "api_app_id": "A0CAIO",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": "13345224609.738474920.99999999",
        "view": {
            **view,
            "id": "V1",
            "team_id": TEAM,
            "state": {"values": values},
            "hash": "156772938.1827394",
            "previous_view_id": None,
            "root_view_id": "V1",
            "app_id": "A0CAIO",
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return await slack.post("/slack/events", body, "application/x-www-form-urlencoded")


async def test_decide_opens_a_modal_and_its_submission_is_recorded(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    reply = await slack.command("decide Adopt pgvector", user=CAIO)
    await slack.settle()
    assert reply.status == 200
    opened = slack_api.delivered("views.open")
    assert len(opened) == 1 and opened[0].args["trigger_id"].startswith("13345224609.")
    view = opened_view(slack_api)
    assert view["type"] == "modal" and view["title"]["text"] == "Decision: Adopt pgvector"
    assert [b["label"]["text"] for b in view["blocks"]] == [
        "Context",
        "Options",
        "Decision",
        "Consequences",
    ]
    assert [b["optional"] for b in view["blocks"]] == [False, True, False, True]
    assert json.loads(view["private_metadata"])["channel"] == GENERAL

    answers = {"context": "2M chunks, Postgres runs already", "decision": "pgvector"}
    ack = await submit(slack, view, answers)
    await slack.settle()
    assert ack.status == 200 and ack.text == ""  # the modal closes
    posted = slack_api.delivered("chat.postMessage")[-1]
    assert posted.args["channel"] == GENERAL
    assert "Decision recorded" in posted.text and "ADR-001 Adopt pgvector" in posted.text
    assert "2M chunks, Postgres runs already" in posted.text


async def test_blank_required_inputs_keep_the_modal_open_with_errors(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    await slack.command("decide Adopt pgvector", user=CAIO)
    await slack.settle()
    view = opened_view(slack_api)
    ack = await submit(slack, view, {"context": "   ", "decision": "pgvector"})
    await slack.settle()
    assert ack.status == 200
    assert json.loads(ack.text) == {
        "response_action": "errors",
        "errors": {"context": "Context is required."},
    }
    assert not [c for c in slack_api.delivered("chat.postMessage") if "Decision" in c.text]


async def test_standup_setup_form_goes_through_the_one_line_parser(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    await slack.command("standup setup", user=CAIO)
    await slack.settle()
    view = opened_view(slack_api)
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["days"] == "mon-fri" and initial["window"] == "4h"
    answers = {
        "when": "08:45 Europe/Berlin",
        "days": "mon-thu",
        "window": "2h",
        "questions": "Shipped?\nBlocked?",
    }
    await submit(slack, view, answers)
    await slack.settle()
    posted = slack_api.delivered("chat.postMessage")[-1].text
    assert "Stand-up set up" in posted
    assert "08:45" in posted and "Europe/Berlin" in posted and "Shipped?" in posted


async def test_checkin_setup_modal_asks_how_often(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    await slack.command("checkin setup", user=CAIO)
    await slack.settle()
    view = opened_view(slack_api)
    assert view["title"]["text"] == "Check-in setup"
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["cadence"] == "weekly on fri" and initial["window"] == "1d"
    answers = {"when": "15:30 UTC", "cadence": "every 2 weeks on thu", "window": "1d"}
    await submit(slack, view, answers)
    await slack.settle()
    posted = slack_api.delivered("chat.postMessage")[-1].text
    assert "every 2 weeks on thu at 15:30 UTC" in posted


async def test_members_are_refused_without_a_modal(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    await slack.command("decide Adopt pgvector", user=DANA)
    await slack.settle()
    assert slack_api.delivered("views.open") == []
    assert "Only the CAIO" in slack_api.calls("response_url")[-1].args["text"]


async def test_an_expired_trigger_falls_back_to_the_one_line_usage(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    slack_api.fail_next("views.open", 200, error="expired_trigger_id")
    await slack.command("decide Adopt pgvector", user=CAIO)
    await slack.settle()
    said = slack_api.calls("response_url")[-1].args["text"]
    assert "Usage: `/caio decide &lt;title&gt; | context: …" in said


async def test_save_this_thread_as_a_decision_drafts_one_from_the_thread(
    slack: SlackHarness, slack_api: SlackStandIn
) -> None:
    root = slack_api.add_message(GENERAL, SAM, "pgvector or Pinecone for the FAQ bot?")
    slack_api.add_message(GENERAL, DANA, "pgvector: Postgres is already there", root["ts"])
    event = {
        "type": "app_mention",
        "user": CAIO,
        "text": "<@UBOT> save this thread as a decision: Vector store",
        "ts": slack_api.next_ts(),
        "thread_ts": root["ts"],
        "channel": GENERAL,
    }
    await slack.event(event)
    await slack.settle()
    (replies,) = slack_api.delivered("conversations.replies")
    assert replies.args["ts"] == root["ts"]
    draft = slack_api.delivered("chat.postMessage")[-1]
    assert draft.args["thread_ts"] == root["ts"]
    assert "Draft decision from this thread" in draft.text and "Vector store" in draft.text
    assert "Postgres is already there" in draft.text
    await slack.click(draft, "Accept", user=CAIO)
    await slack.settle()
    said = [c.text for c in slack_api.delivered("chat.postMessage")]
    said += [c.text for c in slack_api.delivered("chat.update")]
    assert any("accepted by carla" in text for text in said)
