"""The monthly value report: through chat (uploaded as files) and the CLI, written in
outcomes a client reads first, with a PNG chart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli import app
from bot.clock import ManualClock
from bot.db.models import Role
from bot.db.models_schedule import (
    Blocker,
    BlockerStatus,
    CheckInAnswer,
    Prompt,
    Run,
    Schedule,
    ScheduleKind,
)
from scheduler.engine import Engine
from tests.conftest import Chat
from tests.practice.conftest import Teams, uploaded
from tests.scheduler.helpers import set_client, team

PNG = b"\x89PNG\r\n\x1a\n"


async def cli(*args: str) -> Result:
    """The CLI runs its own event loop, so it runs beside the test's, in a thread."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def a_month_of_work(chat: Chat, teams: Teams, clock: ManualClock) -> None:
    """Two juniors and a senior ask, one escalation answered in 2 h, a decision, a radar
    move, hours logged and a week of stand-ups."""
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio config set retainer 10")
    await chat.say("/caio config set response_target 8")
    for name in ("ana", "ben", "sam"):
        await teams.be(name)
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio config junior @ana")
    await chat.say("/caio config junior @ben")
    await chat.say("/caio config senior @sam")

    await teams.be("ana")
    out = await chat.say("/caio ask how should we evaluate our RAG pipeline before launch?")
    await chat.say(chat.button(out, "Helpful"))
    await teams.be("ben")
    await chat.say("/caio ask how do we measure retrieval quality of our RAG search?")
    await teams.be("sam")
    await chat.say("/caio escalate can we send customer emails to OpenAI under our DPA?")
    clock.advance(timedelta(hours=2))
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio answer 1 Yes with the zero-retention addendum; strip PII first.")
    await chat.say("/caio hours log 8h30m evaluation workshop and DPA review")
    await chat.say(
        "/caio decide Golden-set evals before each release | context: regressions | "
        "decision: 30 real questions in CI"
    )
    await chat.say("/caio radar set Ragas trial tools evaluation harness")

    async with chat.bot.db.session() as session:
        schedule = Schedule(
            client_id="demo", kind=ScheduleKind.STANDUP, address="x", changed_at=clock.now()
        )
        session.add(schedule)
        await session.flush()
        run = Run(
            client_id="demo",
            schedule_id=schedule.id or 0,
            fire_at=clock.now(),
            local_date="2026-11-24",
            closes_at=clock.now() + timedelta(hours=4),
        )
        session.add(run)
        await session.flush()
        for member_id in (2, 3, 4, 5):
            session.add(Prompt(client_id="demo", run_id=run.id or 0, member_id=member_id))
        for member_id in (2, 3, 4):
            session.add(
                CheckInAnswer(
                    client_id="demo",
                    schedule_id=schedule.id or 0,
                    member_id=member_id,
                    for_date="2026-11-24",
                    text="on track",
                    created_at=clock.now(),
                )
            )
        session.add(
            Blocker(
                client_id="demo",
                schedule_id=schedule.id or 0,
                member_id=3,
                text="no GPU quota",
                status=BlockerStatus.RESOLVED,
                opened_at=clock.now(),
                closed_at=clock.now() + timedelta(hours=5),
            )
        )
        session.add(
            Blocker(
                client_id="demo",
                schedule_id=schedule.id or 0,
                member_id=4,
                text="waiting on legal",
                opened_at=clock.now(),
            )
        )
        await session.commit()


async def test_report_in_chat_is_uploaded_and_written_in_outcomes(
    chat: Chat, teams: Teams, clock: ManualClock
) -> None:
    await a_month_of_work(chat, teams, clock)
    await teams.be("ana")
    assert "Only the CAIO, a lead or an admin" in await chat.say("/caio report")
    await teams.be("sam", Role.LEAD)
    out = await chat.say("/caio report")
    assert "** Demo Co: value report, November 2026 **" in out
    assert (
        "• 2 juniors onboarded onto " in out and "(ana and ben): 2 answers, 1 rated helpful" in out
    )
    assert (
        "Every escalation was answered within the 8 office-hour target "
        "(median 2.0 office hours to answer)." in out
    )
    assert "1 decision recorded: “Golden-set evals before each release”." in out
    assert "Tech radar updated: Ragas added to Trial (Tools): evaluation harness." in out
    assert "Stand-up participation 75%; 2 blockers raised, 1 resolved." in out
    assert "8 h 30 m of 10 h retainer used in 2026-11 (85%)" in out

    files = uploaded(out)
    assert set(files) == {"report-demo-2026-11.md", "report-demo-2026-11.png"}
    markdown = files["report-demo-2026-11.md"].decode()
    assert markdown.startswith("# Demo Co: AI advisory report, November 2026")
    assert "![Questions, escalation response times and hours](report-demo-2026-11.png)" in markdown
    assert "| questions asked | 3 |" in markdown
    assert "| answered by the CAIO | 1 |" in markdown
    developers = markdown.split("## Advice per developer")[1].split("##")[0]
    assert developers.index("| ana | junior |") < developers.index("| sam | senior |")
    assert developers.index("| ben | junior |") < developers.index("| sam | senior |")
    assert "Response target: 8 office hours (mon-fri 09:00-17:00, UTC)" in markdown
    assert "| 1 | can we send customer emails to OpenAI under our DPA? | 2.0 h | yes |" in markdown
    assert "3 of 4 check-ins answered (each person once per stand-up" in markdown
    assert "ADR-001 Golden-set evals before each release (accepted, 2026-11-24)" in markdown
    assert files["report-demo-2026-11.png"].startswith(PNG)

    assert "Usage: `/caio report [YYYY-MM]`" in await chat.say("/caio report November")


async def test_an_escalation_answered_by_its_due_time_is_within_target(
    chat: Chat, teams: Teams, clock: ManualClock
) -> None:
    """Asked Friday 16:30 Berlin with an 8 h office-hour target, the asker is told Monday
    16:30; answered Monday 09:30, the report must say so, in office hours, not 65 h late."""
    await set_client(
        chat.bot, timezone="Europe/Berlin", office_hours="mon-fri 09:00-17:00", country="DE"
    )
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio config set response_target 8")
    await chat.say("/caio escalate a second one, never answered, asked Friday too")
    clock.set(datetime(2026, 11, 27, 15, 30, tzinfo=UTC))  # Fri 16:30 Berlin
    await teams.be("sam")
    asked = await chat.say("/caio escalate can we send customer emails to OpenAI?")
    assert "Expect an answer by Mon 30 Nov 16:30 Europe/Berlin" in asked
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # Mon 09:30 Berlin
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio answer 2 Yes, with the zero-retention addendum.")

    out = await chat.say("/caio report 2026-11")
    assert (
        "1 of 2 escalations answered within the 8 office-hour target "
        "(median 1.0 office hours to answer); 1 still open." in out
    )
    markdown = uploaded(out)["report-demo-2026-11.md"].decode()
    assert (
        "Response target: 8 office hours (mon-fri 09:00-17:00, Europe/Berlin, public holidays "
        "in DE excepted)" in markdown
    )
    assert "| 2 | can we send customer emails to OpenAI? | 1.0 h | yes |" in markdown
    assert "| 1 | a second one, never answered, asked Friday too | open | no |" in markdown


async def test_standup_participation_counts_early_answerers_as_asked(
    chat: Chat, teams: Teams, clock: ManualClock
) -> None:
    """Two in the stand-up, one answers early (so is not prompted), one stays silent: half
    took part, as the stand-up's own summary says."""
    await team(chat, "dana", "sam")
    await chat.say("/caio standup setup at 09:30 tz UTC participants @dana @sam")
    await chat.say("/as dana")
    await chat.say("/caio standup answer today: evals | blockers: none")
    engine = Engine(chat.bot)
    for hour in (9, 13):
        clock.set(datetime(2026, 11, 25, hour, 30, tzinfo=UTC))
        await engine.run_due(clock.now())
    assert "Stand-up summary · Wed 25 Nov (1 of 2 answered)" in chat.pop()

    await teams.be("lee", Role.LEAD)
    out = await chat.say("/caio report 2026-11")
    assert "Stand-up participation 50%; 0 blockers raised, 0 resolved." in out
    markdown = uploaded(out)["report-demo-2026-11.md"].decode()
    assert "1 of 2 check-ins answered" in markdown


async def test_an_empty_month_says_so(chat: Chat, teams: Teams) -> None:
    await teams.be("sam", Role.LEAD)
    out = await chat.say("/caio report 2026-10")
    assert "0 h logged in 2026-10 (no retainer set)." in out
    markdown = uploaded(out)["report-demo-2026-10.md"].decode()
    for empty in (
        "No advice given this month.",
        "No escalations this month.",
        "No stand-ups recorded.",
        "No decisions recorded.",
        "No radar changes.",
    ):
        assert empty in markdown


async def test_cli_writes_markdown_and_chart(
    chat: Chat, teams: Teams, clock: ManualClock, cli_env: str, tmp_path: Path
) -> None:
    await a_month_of_work(chat, teams, clock)
    out_dir = tmp_path / "out"
    result = await cli("report", "--client", "demo", "--month", "2026-11", "--out", str(out_dir))
    assert result.exit_code == 0, result.output
    assert str(out_dir / "report-demo-2026-11.md") in result.output
    assert "2 juniors onboarded" in (out_dir / "report-demo-2026-11.md").read_text()
    assert (out_dir / "report-demo-2026-11.png").read_bytes().startswith(PNG)

    bad = await cli("report", "--client", "nope", "--month", "2026-11")
    assert bad.exit_code == 1 and "no client 'nope'" in bad.output
    bad = await cli("report", "--client", "demo", "--month", "11/2026")
    assert bad.exit_code == 1 and "--month should look like 2026-11" in bad.output
    bad = await cli("report", "--client", "demo", "--month", "2999-01", "--out", str(out_dir))
    assert bad.exit_code == 1 and "error: 2999-01 has not started yet" in bad.output
    assert not (out_dir / "report-demo-2999-01.md").exists()


async def test_each_question_is_counted_once_by_who_settled_it(chat: Chat, teams: Teams) -> None:
    """An AI answer that was escalated is the CAIO's to count, and a correction by the CAIO
    is not a second answered question: the counts add up to the questions asked."""
    await teams.be("ana")
    asked = await chat.say("/caio ask can we fine-tune on our support tickets?")
    await chat.say(chat.button(asked, "Escalate"))
    await chat.say("/caio ask how do we handle OpenAI rate limits?")
    await teams.be("dana", Role.CAIO)
    await chat.say("/caio answer 1 Not before the eval set exists.")
    await chat.say("/caio answer 1 Correction: not before the eval set and a PII scrub exist.")

    out = await chat.say("/caio report 2026-11")
    assert (
        "The team asked 2 questions: 1 answered at once by the AI from the playbook and your "
        "own history, 1 by the CAIO in person." in out
    )
    assert "| answered by the CAIO | 1 |" in uploaded(out)["report-demo-2026-11.md"].decode()


async def test_cli_refuses_what_it_cannot_write_or_date(cli_env: str, tmp_path: Path) -> None:
    for args, says in [
        (["--month", "9999-12"], "error: --month 9999-12 is outside the calendar"),
        (["--month", "0000-01"], "error: --month 0000-01 is outside the calendar"),
        (["--month", "2026-11", "--out", "/dev/null"], "error: --out /dev/null is not a directory"),
    ]:
        bad = await cli("report", "--client", "demo", *args)
        assert (bad.exit_code, bad.stderr.strip()) == (1, says)


async def test_a_month_that_has_not_started_is_refused(chat: Chat, teams: Teams) -> None:
    """Its report would be all zeros, read as a month without activity."""
    await teams.be("dana", Role.CAIO)
    assert "0000-01 is outside the calendar." in await chat.say("/caio report 0000-01")
    out = await chat.say("/caio report 2026-12")
    assert out.endswith(
        "2026-12 has not started yet (it is 2026-11 for this client): nothing to report."
    )
    assert "value report" not in out
