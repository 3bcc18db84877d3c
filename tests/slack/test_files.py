"""Files on Slack: `/caio report` and `/caio radar export` share their files through Slack's
external upload flow (upload URL, bytes, completion), and a refused upload is said in chat."""

from __future__ import annotations

from bot.db.models import Role
from bot.directory import set_role
from bot.events import Actor
from tests.slack.conftest import CLIENT, DANA, GENERAL, SlackHarness

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _make_lead(slack: SlackHarness) -> None:
    async with slack.bot.db.session() as session:
        await set_role(session, CLIENT, Actor("slack", DANA, "dana"), Role.LEAD)


async def test_report_uploads_its_markdown_and_chart_into_the_channel(
    slack: SlackHarness,
) -> None:
    await _make_lead(slack)
    await slack.command("ask how do we evaluate our RAG pipeline?")
    await slack.settle()

    assert (await slack.command("report")).status == 200
    await slack.settle()

    posted = slack.api.delivered("chat.postMessage")[-1]
    assert posted.args["channel"] == GENERAL and "value report" in posted.text
    markdown, chart = sorted(slack.api.files, key=lambda f: f.filename)
    assert markdown.filename.endswith(".md") and chart.filename.endswith(".png")
    assert markdown.content.decode().startswith("# ") and "Acme" in markdown.content.decode()
    assert chart.content.startswith(PNG_MAGIC)
    assert {(f.channel, f.thread_ts) for f in slack.api.files} == {(GENERAL, None)}


async def test_radar_export_uploads_the_csv(slack: SlackHarness) -> None:
    await slack.command("radar export csv")
    await slack.settle()

    (csv,) = slack.api.files
    assert csv.filename == f"radar-{CLIENT}.csv" and csv.channel == GENERAL
    assert csv.content.decode().splitlines()[0].startswith("name,")


async def test_a_refused_upload_is_said_in_the_channel(slack: SlackHarness) -> None:
    await _make_lead(slack)
    slack.api.fail_next("files.completeUploadExternal", 200, error="not_in_channel")

    await slack.command("report 2026-10")
    await slack.settle()

    assert slack.api.files == []
    note = slack.api.delivered("chat.postMessage")[-1]
    assert note.args["channel"] == GENERAL
    assert "did not accept the files" in note.text and "not_in_channel" in note.text
    assert ".md" in note.text and ".png" in note.text


async def test_file_servers_down_after_retries_is_said_too(slack: SlackHarness) -> None:
    await _make_lead(slack)
    slack.api.fail_next("upload", 503, times=10)

    await slack.command("report 2026-10")
    await slack.settle()

    assert len(slack.api.calls("upload")) == 5  # the first try and slack_sdk's 4 retries
    assert slack.api.files == []
    assert "did not accept the files" in slack.api.delivered("chat.postMessage")[-1].text
