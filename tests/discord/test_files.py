"""Files on Discord: `/caio report` and `/caio radar export` upload their files as
multipart attachments, ten a message at most; a file Discord would refuse, or did refuse
(413 / 40005), is named in a note where the reply went, never dropped silently."""

from __future__ import annotations

import csv
import io

from bot.events import Address
from bot.message import Attachment, Message
from tests.discord.conftest import DANA, GENERAL, GUILD, LEAD_ROLE, DiscordHarness
from tests.standins.discord_api import APP_ID, UPLOAD_LIMIT


async def test_report_uploads_the_markdown_and_the_chart(dc: DiscordHarness) -> None:
    token = await dc.slash("run", DANA, (LEAD_ROLE,), text="report 2026-10")
    shown = dc.original(token)
    assert shown is not None and not shown["flags"] & 64, "the report is for the channel"
    assert "Acme: value report, October 2026" in dc.api.visible_text(shown)
    files = dict(dc.api.files(shown))
    assert list(files) == ["report-acme-2026-10.md", "report-acme-2026-10.png"]
    assert files["report-acme-2026-10.md"].decode().startswith("# ")
    assert "report-acme-2026-10.png" in files["report-acme-2026-10.md"].decode()
    assert files["report-acme-2026-10.png"].startswith(b"\x89PNG\r\n\x1a\n")

    (upload,) = [c for c in dc.api.calls_to("POST", f"/webhooks/{APP_ID}/{token}") if c.files]
    assert [u.field for u in upload.files] == ["files[0]", "files[1]"]
    assert [a["filename"] for a in upload.body["attachments"]] == list(files)


async def test_a_member_cannot_pull_the_report(dc: DiscordHarness) -> None:
    token = await dc.slash("run", text="report 2026-10")
    (refusal,) = dc.followups(token)
    assert refusal["flags"] & 64 and "can use `/caio report`" in refusal["content"]
    assert not dc.api.uploads


async def test_radar_export_uploads_the_csv(dc: DiscordHarness) -> None:
    await dc.slash("run", DANA, (LEAD_ROLE,), text="radar set pgvector adopt platforms one db")
    token = await dc.slash("run", DANA, (LEAD_ROLE,), text="radar export csv")
    shown = dc.original(token)
    assert shown is not None and "1 blip, ready for" in shown["content"]
    ((name, data),) = dc.api.files(shown)
    assert name == "radar-acme.csv"
    (row,) = csv.DictReader(io.StringIO(data.decode()))
    assert row["name"] == "pgvector" and row["ring"].lower() == "adopt"


async def test_more_than_ten_files_continue_in_a_second_message(dc: DiscordHarness) -> None:
    files = tuple(Attachment(f"part-{n:02}.txt", f"part {n}".encode()) for n in range(12))
    where = Address("discord", GUILD, GENERAL)
    await dc.adapter.send(Message("Twelve exports", address=where, files=files))
    first, second = dc.api.in_channel(GENERAL)
    assert first["content"] == "Twelve exports"
    assert [n for n, _ in dc.api.files(first)] == [f"part-{n:02}.txt" for n in range(10)]
    assert dc.api.files(second) == [("part-10.txt", b"part 10"), ("part-11.txt", b"part 11")]


async def test_a_file_over_the_upload_limit_is_named_not_dropped(dc: DiscordHarness) -> None:
    huge = Attachment("dump.csv", b"x" * (UPLOAD_LIMIT + 1))
    small = Attachment("summary.csv", b"a,b\n1,2\n")
    where = Address("discord", GUILD, GENERAL)
    await dc.adapter.send(Message("Exports", address=where, files=(huge, small)))
    sent, note = dc.api.in_channel(GENERAL)
    assert dc.api.files(sent) == [("summary.csv", b"a,b\n1,2\n")]
    assert "`dump.csv` (10.0 MB)" in note["content"]
    assert "over this server's 10.0 MB upload limit" in note["content"]
    assert all(len(u.data) <= UPLOAD_LIMIT for c in dc.api.calls for u in c.files)


async def test_an_upload_discord_refuses_is_reported_to_the_user(dc: DiscordHarness) -> None:
    dc.api.upload_limit = 1000  # Discord answers 413 / 40005 "Request entity too large"
    token = await dc.slash("run", DANA, (LEAD_ROLE,), text="report 2026-10")
    shown = dc.original(token)
    assert shown is not None and "value report, October 2026" in dc.api.visible_text(shown)
    assert dc.api.files(shown) == []
    (note,) = dc.followups(token)
    assert not note["flags"] & 64, "said where the report went"
    assert "Discord refused the upload of `report-acme-2026-10.md`" in note["content"]
    assert "Request entity too large" in note["content"]
