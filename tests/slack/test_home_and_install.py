"""The App Home tab, direct messages, and the multi-workspace install: what a member, the
CAIO and the operator installing the app see."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlmodel import select
from structlog.testing import capture_logs

from adapters.slack import SlackAdapter
from adapters.slack.socket_mode import SocketModeRunner
from bot.clock import ManualClock
from bot.context import Context
from bot.db.models import Question
from bot.db.models_slack import BOTS_TABLE, INSTALLATIONS_TABLE
from bot.directory import client_for
from bot.events import ThreadReply
from bot.http import BOT_KEY, HttpServer
from bot.runtime import WEB, WORKER, components_for
from bot.wiring import build_bot, stop
from tests.conftest import make_settings
from tests.slack.conftest import CAIO, DANA, SECRET, SlackHarness, oauth_settings, running_slack
from tests.standins.slack_api import BOT_TOKEN, Install, SlackStandIn


def _home(slack: SlackHarness) -> str:
    view = slack.api.delivered("views.publish")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    texts = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts.extend(f["text"] for f in block.get("fields", []))
        texts.extend(e["text"]["text"] for e in block.get("elements", []) if "text" in e)
    return "\n".join(texts)


async def test_home_shows_a_members_questions_and_the_caio_queue(
    slack: SlackHarness, clock: ManualClock
) -> None:
    await slack.command("ask how should we evaluate our RAG pipeline?")
    await slack.settle()
    await slack.command("escalate can we fine-tune on support tickets?")
    await slack.settle()
    clock.advance(timedelta(hours=3))

    await slack.event({"type": "app_home_opened", "user": DANA, "channel": "DDANA", "tab": "home"})
    await slack.settle()
    home = _home(slack)
    assert "how should we evaluate our RAG pipeline?" in home
    assert "#1 can we fine-tune on support tickets?" in home
    assert "Open escalation queue" not in home

    await slack.event({"type": "app_home_opened", "user": CAIO, "channel": "DCARLA", "tab": "home"})
    await slack.settle()
    home = _home(slack)
    assert "Open escalation queue" in home and "can we fine-tune on support tickets?" in home
    assert "3h" in home and "due in" in home
    assert "Mark resolved" in home


async def test_a_dm_to_the_bot_reaches_the_core_as_a_thread_reply(slack: SlackHarness) -> None:
    seen: list[ThreadReply] = []

    async def record(ctx: Context, reply: ThreadReply) -> bool:
        seen.append(reply)
        return True

    slack.bot.registry.thread_reply_handlers.insert(0, record)
    try:
        dm = {
            "type": "message",
            "channel": "DDANA",
            "user": DANA,
            "text": "Yesterday: shipped evals",
            "ts": "1764000300.000100",
            "channel_type": "im",
        }
        await slack.event(dm)
        edited = {**dm, "subtype": "message_changed", "ts": "1764000300.000200"}
        await slack.event(edited)
        await slack.settle()
    finally:
        slack.bot.registry.thread_reply_handlers.remove(record)
    (reply,) = seen
    assert reply.text == "Yesterday: shipped evals" and reply.actor.name == "dana"
    assert reply.address.channel == "DDANA" and reply.address.thread is None


async def test_a_dm_nobody_was_waiting_for_gets_a_hint_not_silence(slack: SlackHarness) -> None:
    dm = {
        "type": "message",
        "channel": "DDANA",
        "user": DANA,
        "text": "hey, how do I use you?",
        "ts": "1764000400.000100",
        "channel_type": "im",
    }
    await slack.event(dm)
    await slack.settle()
    (hint,) = slack.api.delivered("chat.postMessage")
    assert hint.args["channel"] == "DDANA"
    assert "`/caio ask &lt;question&gt;`" in hint.text and "`/caio help`" in hint.text


@pytest.fixture
async def multi(
    database_url: str, clock: ManualClock, slack_api: SlackStandIn
) -> AsyncIterator[SlackHarness]:
    settings = oauth_settings(database_url, slack_api)
    async with running_slack(settings, clock, slack_api) as harness:
        yield harness


def installations(harness: SlackHarness) -> AsyncSQLAlchemyInstallationStore:
    """The OAuth tokens as slack_sdk stores them, to see what revocation left."""
    return AsyncSQLAlchemyInstallationStore(
        client_id="1234.5678",
        engine=harness.bot.db.engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )


async def install(harness: SlackHarness) -> None:
    """Walk the OAuth flow as an admin's browser does: install page, Slack, redirect back."""
    session = harness.session
    async with session.get(harness.base_url + "/slack/install", allow_redirects=False) as resp:
        assert resp.status in (200, 302)
        page = await resp.text()
        location = resp.headers.get("Location")
        if location is None:
            link = re.search(r'href="(https://slack.com/oauth[^"]+)"', page)
            assert link is not None, page
            location = link[1]
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    state = parse_qs(urlparse(location.replace("&amp;", "&")).query)["state"][0]
    redirect = f"{harness.base_url}/slack/oauth_redirect?code=c0de&state={state}"
    async with session.get(redirect, headers={"Cookie": cookie}) as resp:
        assert resp.status == 200, await resp.text()


async def test_install_maps_the_workspace_to_a_client_and_revocation_cleans_up(
    multi: SlackHarness,
) -> None:
    await install(multi)
    (access,) = multi.api.calls("oauth.v2.access")
    assert access.args["code"] == "c0de"
    async with multi.bot.db.session() as db:
        client = await client_for(db, "slack", "T0NEW")
    assert client is not None and client.name == "Globex"

    await multi.command("ask how do we test prompts?", team="T0NEW")
    await multi.settle()
    asked = multi.api.delivered("chat.postMessage")[0]
    assert asked.token == "xoxb-globex"  # the installed workspace's own token

    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["UINSTALLER"], "bot": ["UBOTG"]}}
    assert (await multi.event(revoked, team="T0NEW")).status == 200
    await multi.settle()
    store = installations(multi)
    assert await store.async_find_bot(enterprise_id=None, team_id="T0NEW") is None
    async with multi.bot.db.session() as db:
        assert await client_for(db, "slack", "T0NEW") is not None  # the advice log stays


async def test_uninstalling_removes_the_tokens_and_logs_no_error(multi: SlackHarness) -> None:
    await install(multi)

    with capture_logs() as logs:
        assert (await multi.event({"type": "app_uninstalled"}, team="T0NEW")).status == 200
        await multi.settle()

    assert await installations(multi).async_find_bot(enterprise_id=None, team_id="T0NEW") is None
    assert [e for e in logs if e["log_level"] in ("error", "critical")] == []
    assert {"event": "slack tokens removed", "workspace": "T0NEW"}.items() <= next(
        e for e in logs if e["event"] == "slack tokens removed"
    ).items()


async def test_an_org_wide_install_serves_every_workspace_of_the_org_as_one_client(
    multi: SlackHarness,
) -> None:
    multi.api.install = Install(
        team_id="",
        bot_token="xoxb-initech",
        enterprise_id="E0ORG",
        enterprise_name="Initech",
    )
    await install(multi)
    async with multi.bot.db.session() as db:
        client = await client_for(db, "slack", "E0ORG")
    assert client is not None and client.name == "Initech"

    for team in ("T0ONE", "T0TWO"):
        await multi.command("ask how do we test prompts?", team=team, enterprise="E0ORG")
    await multi.settle()
    asked = multi.api.delivered("chat.postMessage")
    assert len(asked) >= 2 and all(call.token == "xoxb-initech" for call in asked)
    async with multi.bot.db.session() as db:
        questions = list(await db.exec(select(Question)))
    assert {q.client_id for q in questions} == {client.id} and len(questions) == 2

    revoked = {"type": "app_uninstalled"}
    body = {**multi.event_payload(revoked, team="T0ONE"), "enterprise_id": "E0ORG"}
    body["authorizations"][0].update(enterprise_id="E0ORG", is_enterprise_install=True)
    await multi.post("/slack/events", json.dumps(body).encode(), "application/json")
    await multi.settle()
    store = installations(multi)
    found = await store.async_find_bot(
        enterprise_id="E0ORG", team_id=None, is_enterprise_install=True
    )
    assert found is None


async def test_process_kinds_get_the_slack_parts_their_env_enables(
    database_url: str, slack_api: SlackStandIn
) -> None:
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_app_token="xapp-1-A0CAIO-1-abc",
        slack_api_url=slack_api.api_url,
    )
    web_bot = build_bot(settings)
    parts = components_for(web_bot, WEB, 0)
    assert isinstance(web_bot.adapters["slack"], SlackAdapter)
    http = next(p.app for p in parts if isinstance(p, HttpServer))
    assert http[BOT_KEY] is web_bot
    paths = {r.resource.canonical for r in http.router.routes() if r.resource is not None}
    assert "/slack/events" in paths
    assert not any(isinstance(p, SocketModeRunner) for p in parts)

    worker_bot = build_bot(settings)
    worker_parts = components_for(worker_bot, WORKER, 0)
    assert "slack" in worker_bot.adapters
    runners = [p for p in worker_parts if isinstance(p, SocketModeRunner)]
    assert runners
    for runner in runners:  # never connected, but its HTTP session is open from the start
        await runner.stop()
    await stop(web_bot)
    await stop(worker_bot)
