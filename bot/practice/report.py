"""The monthly value report a fractional CAIO sends a client: what was asked and answered,
who was helped with what, escalations against the response target, stand-ups, decisions,
radar changes and hours, led by outcomes written from that data. Markdown plus a PNG.

Every query is filtered by the one client the report is for.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import (
    Advice,
    AdviceSource,
    Client,
    Escalation,
    Feedback,
    Member,
    PlaybookEntry,
    Question,
    Seniority,
)
from bot.db.models_practice import Decision
from bot.db.models_schedule import (
    Blocker,
    BlockerStatus,
    CheckInAnswer,
    Prompt,
    Run,
    Schedule,
    ScheduleKind,
)
from bot.practice import decisions, radar
from bot.practice.chart import ChartData, render_png
from bot.practice.hours import MonthHours, month_bounds, month_entries, month_hours
from bot.sla import office_time
from bot.text import shorten


@dataclass
class Developer:
    name: str
    seniority: str | None
    answers: int = 0
    helpful: int = 0
    topics: Counter[str] = field(default_factory=Counter)

    @property
    def junior(self) -> bool:
        return self.seniority == Seniority.JUNIOR


@dataclass(frozen=True)
class EscalationLine:
    """One escalation as the report shows it. Both the time taken and the verdict count
    office hours, as the due time the asker was given does."""

    id: int
    question: str
    hours: float | None  # office hours taken to answer; None: not answered yet
    met: bool | None  # answered by its due time; None: still open and not yet due


def _escalation_line(client: Client, escalation: Escalation, now: datetime) -> EscalationLine:
    answered = escalation.answered_at
    if answered is None:
        taken, met = None, (False if escalation.due_at <= now else None)
    else:
        taken = office_time(client, escalation.created_at, answered).total_seconds() / 3600
        met = answered <= escalation.due_at
    return EscalationLine(escalation.id or 0, escalation.question, taken, met)


@dataclass(frozen=True)
class Standups:
    """Stand-up participation counted by run membership: each person in each stand-up of
    the month once, whether prompted or counted in by an early answer."""

    asked: int
    answered: int
    blockers_raised: int
    blockers_resolved: int


@dataclass
class MonthlyReport:
    client: Client
    month: str
    questions: int
    ai_answers: int
    caio_answers: int
    helpful: int
    not_helpful: int
    developers: list[Developer]
    topics: list[tuple[str, int]]
    escalations: list[EscalationLine]
    standups: Standups
    decisions: list[Decision]
    radar_changes: list[str]
    hours: MonthHours
    chart: ChartData

    @property
    def slug(self) -> str:
        return f"report-{self.client.id}-{self.month}"

    @property
    def month_name(self) -> str:
        year, number = (int(p) for p in self.month.split("-"))
        return f"{datetime(year, number, 1):%B %Y}"


def _topic_names(entries: list[PlaybookEntry]) -> dict[str, str]:
    return {f"playbook:{e.slug}": e.title for e in entries}


def _topics_of(advice: Advice, names: dict[str, str]) -> list[str]:
    found = [names[s] for s in advice.sources.split() if s in names]
    found += [t.replace("-", " ") for t in advice.tags.replace(",", " ").split() if t]
    return list(dict.fromkeys(found))


async def _standups(
    session: AsyncSession, client_id: str, start: datetime, end: datetime
) -> Standups:
    standup_ids = select(Schedule.id).where(
        Schedule.client_id == client_id, Schedule.kind == ScheduleKind.STANDUP
    )
    runs = list(
        await session.exec(
            select(Run.id, Run.schedule_id, Run.local_date).where(
                Run.client_id == client_id,
                col(Run.schedule_id).in_(standup_ids),
                col(Run.fire_at) >= start,
                col(Run.fire_at) < end,
            )
        )
    )
    prompts = await session.exec(
        select(Prompt.run_id, Prompt.member_id).where(
            Prompt.client_id == client_id, col(Prompt.run_id).in_([r for r, _, _ in runs])
        )
    )
    days = {(schedule, day): run for run, schedule, day in runs}
    answers = await session.exec(
        select(CheckInAnswer.schedule_id, CheckInAnswer.for_date, CheckInAnswer.member_id).where(
            CheckInAnswer.client_id == client_id,
            col(CheckInAnswer.schedule_id).in_(standup_ids),
            col(CheckInAnswer.for_date).in_(sorted({day for _, _, day in runs})),
        )
    )
    answered = {
        (days[(schedule, day)], member)
        for schedule, day, member in answers
        if (schedule, day) in days
    }
    asked = answered | {(run, member) for run, member in prompts}
    blockers = list(await session.exec(select(Blocker).where(Blocker.client_id == client_id)))
    raised = [b for b in blockers if start <= b.opened_at < end]
    resolved = [
        b
        for b in blockers
        if b.status == BlockerStatus.RESOLVED and b.closed_at and start <= b.closed_at < end
    ]
    return Standups(len(asked), len(answered), len(raised), len(resolved))


async def build_report(
    session: AsyncSession, client: Client, month: str, now: datetime
) -> MonthlyReport:
    """Gather one client's month from the database."""
    start, end = month_bounds(month, client.timezone)
    zone = ZoneInfo(client.timezone)
    in_month = (start, end)

    questions = list(
        await session.exec(
            select(Question).where(
                Question.client_id == client.id,
                col(Question.created_at) >= start,
                col(Question.created_at) < end,
            )
        )
    )
    escalations = list(
        await session.exec(
            select(Escalation)
            .where(
                Escalation.client_id == client.id,
                col(Escalation.created_at) >= start,
                col(Escalation.created_at) < end,
            )
            .order_by(col(Escalation.id))
        )
    )
    advice = list(
        await session.exec(
            select(Advice).where(
                Advice.client_id == client.id,
                col(Advice.created_at) >= start,
                col(Advice.created_at) < end,
                Advice.source != AdviceSource.IMPORT,
            )
        )
    )
    members = {
        m.id: m for m in await session.exec(select(Member).where(Member.client_id == client.id))
    }
    playbook = list(
        await session.exec(
            select(PlaybookEntry).where(col(PlaybookEntry.client_id).in_(["", client.id]))
        )
    )
    names = _topic_names(playbook)

    people: dict[int, Developer] = {}
    topics: Counter[str] = Counter()
    for row in advice:
        found = _topics_of(row, names)
        topics.update(found)
        if row.mentee_id is None:
            continue
        member = members.get(row.mentee_id)
        person = people.setdefault(
            row.mentee_id,
            Developer(member.name if member else row.mentee_name or "?", _seniority(member)),
        )
        person.answers += 1
        person.helpful += row.feedback == Feedback.HELPFUL
        person.topics.update(found)
    developers = sorted(people.values(), key=lambda d: (not d.junior, -d.answers, d.name))

    lines = [_escalation_line(client, e, now) for e in escalations]
    asked = len(questions) + sum(1 for e in escalations if e.question_id is None)
    ai, caio = _answers(advice, escalations)
    made = [
        d
        for d in await decisions.search(session, client.id, limit=500)
        if start <= d.decided_at < end
    ]
    moves = await radar.moves_between(session, client.id, *in_month)
    hours = await month_hours(session, client, month, now)
    entries = await month_entries(session, client, month)

    weeks = _weeks(start, end, zone)
    chart = ChartData(
        title=f"{client.name} · {month}",
        weeks=[f"{max(w, start):%d %b}" for w in weeks],
        ai_answers=_per_week(weeks, [a.created_at for a in ai], zone),
        caio_answers=_per_week(weeks, [a.created_at for a in caio], zone),
        questions=_per_week(
            weeks,
            [q.created_at for q in questions]
            + [e.created_at for e in escalations if e.question_id is None],
            zone,
        ),
        escalations=[(f"#{line.id}", line.hours, line.met is False) for line in lines],
        target_hours=client.response_target_hours,
        days=[],
        cumulative_hours=[],
        retainer_hours=client.retainer_hours,
        month_days=hours.days_in_month,
    )
    if entries:
        running = 0.0
        chart.days.append(1)
        chart.cumulative_hours.append(0.0)
        for entry in entries:
            running += entry.minutes / 60
            chart.days.append(entry.worked_at.astimezone(zone).day)
            chart.cumulative_hours.append(running)
        chart.days.append(max(chart.days[-1], round(hours.days_elapsed) or 1))
        chart.cumulative_hours.append(running)

    return MonthlyReport(
        client=client,
        month=month,
        questions=asked,
        ai_answers=len(ai),
        caio_answers=len(caio),
        helpful=sum(a.feedback == Feedback.HELPFUL for a in advice),
        not_helpful=sum(a.feedback == Feedback.NOT_HELPFUL for a in advice),
        developers=developers,
        topics=topics.most_common(8),
        escalations=lines,
        standups=await _standups(session, client.id, *in_month),
        decisions=sorted(made, key=lambda d: d.number),
        radar_changes=[radar.describe_move(m, b) for m, b in moves],
        hours=hours,
        chart=chart,
    )


def _answers(
    advice: list[Advice], escalations: list[Escalation]
) -> tuple[list[Advice], list[Advice]]:
    """Each question once, by who settled it: the AI's draft unless it was escalated, else
    the CAIO's first answer (a correction or a repeat is not another answered question)."""
    escalated = {e.question_id for e in escalations if e.question_id is not None}
    ai = [a for a in advice if a.source == AdviceSource.AI and a.question_id not in escalated]
    first: dict[int, Advice] = {}
    for row in sorted(advice, key=lambda a: (a.created_at, a.id or 0)):
        if row.source == AdviceSource.CAIO and row.escalation_id is not None:
            first.setdefault(row.escalation_id, row)
    return ai, list(first.values())


def _seniority(member: Member | None) -> str | None:
    return str(member.seniority) if member and member.seniority else None


def _weeks(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    first = start.astimezone(zone)
    first -= timedelta(days=first.weekday())
    weeks = []
    while first < end:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


def _per_week(weeks: list[datetime], times: list[datetime], zone: ZoneInfo) -> list[int]:
    counts: dict[int, int] = defaultdict(int)
    for when in times:
        local = when.astimezone(zone)
        for index in range(len(weeks) - 1, -1, -1):
            if local >= weeks[index]:
                counts[index] += 1
                break
    return [counts[i] for i in range(len(weeks))]


# -- writing it --------------------------------------------------------------------------------
def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def outcomes(report: MonthlyReport) -> list[str]:
    """Sentences a client reads first: what changed for the team, derived from the data."""
    said: list[str] = []
    juniors = [d for d in report.developers if d.junior]
    if juniors:
        focus: Counter[str] = Counter()
        for junior in juniors:
            focus.update(junior.topics)
        top = [name for name, _ in focus.most_common(2)]
        onto = f" onto {_and(top)}" if top else ""
        answers = sum(j.answers for j in juniors)
        said.append(
            f"{_plural(len(juniors), 'junior')} onboarded{onto} "
            f"({_and([j.name for j in juniors])}): {_plural(answers, 'answer')}, "
            f"{sum(j.helpful for j in juniors)} rated helpful."
        )
    answered = report.ai_answers + report.caio_answers
    if report.questions or answered:
        said.append(
            f"The team asked {_plural(report.questions, 'question')}: "
            f"{report.ai_answers} answered at once by the AI from the playbook and your own "
            f"history, {report.caio_answers} by the CAIO in person."
        )
    if report.topics:
        said.append(f"Most advice was on {_and([t for t, _ in report.topics[:3]])}.")
    if report.escalations:
        target = f"{report.client.response_target_hours:g} office-hour target"
        met = sum(e.met is True for e in report.escalations)
        times = [e.hours for e in report.escalations if e.hours is not None]
        median = f" (median {statistics.median(times):.1f} office hours to answer)" if times else ""
        open_ = sum(e.hours is None for e in report.escalations)
        if met == len(report.escalations):
            said.append(f"Every escalation was answered within the {target}{median}.")
        else:
            said.append(
                f"{met} of {_plural(len(report.escalations), 'escalation')} answered within "
                f"the {target}{median}" + (f"; {open_} still open." if open_ else ".")
            )
    if report.decisions:
        titles = [f"“{d.title}”" for d in report.decisions[:3]]
        said.append(f"{_plural(len(report.decisions), 'decision')} recorded: {_and(titles)}.")
    if report.radar_changes:
        said.append(f"Tech radar updated: {'; '.join(report.radar_changes[:3])}.")
    if report.standups.asked:
        s = report.standups
        said.append(
            f"Stand-up participation {s.answered / s.asked:.0%}; "
            f"{_plural(s.blockers_raised, 'blocker')} raised, {s.blockers_resolved} resolved."
        )
    said.append(report.hours.summary())
    return said


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    def cell(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


_VERDICT = {True: "yes", False: "no", None: "not yet due"}


def _target_line(client: Client) -> str:
    """What the target counts, so a client reading "1.0 h" for a weekend wait trusts it."""
    where = f", public holidays in {client.country.upper()} excepted" if client.country else ""
    return (
        f"Response target: {client.response_target_hours:g} office hours "
        f"({client.office_hours}, {client.timezone}{where}); response times below count "
        "office hours too."
    )


def to_markdown(report: MonthlyReport, chart_name: str) -> str:
    client = report.client
    out = [f"# {client.name}: AI advisory report, {report.month_name}", ""]
    out += ["## Outcomes", ""] + [f"- {line}" for line in outcomes(report)] + [""]
    out += [f"![Questions, escalation response times and hours]({chart_name})", ""]

    out += ["## Questions and answers", ""]
    out += _table(
        ["", "count"],
        [
            ["questions asked", str(report.questions)],
            ["answered by the AI", str(report.ai_answers)],
            ["answered by the CAIO", str(report.caio_answers)],
            ["rated helpful", str(report.helpful)],
            ["rated not helpful", str(report.not_helpful)],
        ],
    )
    out.append("")

    out += ["## Advice per developer", ""]
    if report.developers:
        out += _table(
            ["developer", "level", "answers", "helpful", "main topics"],
            [
                [
                    d.name,
                    d.seniority or "—",
                    str(d.answers),
                    str(d.helpful),
                    ", ".join(t for t, _ in d.topics.most_common(3)) or "—",
                ]
                for d in report.developers
            ],
        )
    else:
        out.append("No advice given this month.")
    out.append("")

    out += ["## Topics", ""]
    out += [f"- {topic}: {_plural(count, 'answer')}" for topic, count in report.topics] or [
        "No topics recorded."
    ]
    out.append("")

    out += ["## Escalations", "", _target_line(client), ""]
    if report.escalations:
        out += _table(
            ["#", "question", "answered in (office hours)", "within target"],
            [
                [
                    str(e.id),
                    shorten(e.question, 90),
                    f"{e.hours:.1f} h" if e.hours is not None else "open",
                    _VERDICT[e.met],
                ]
                for e in report.escalations
            ],
        )
    else:
        out.append("No escalations this month.")
    out.append("")

    out += ["## Stand-ups", ""]
    s = report.standups
    if s.asked or s.blockers_raised:
        out.append(
            f"{s.answered} of {s.asked} check-ins answered (each person once per stand-up, "
            "early answers included); "
            f"{_plural(s.blockers_raised, 'blocker')} raised, {s.blockers_resolved} resolved."
        )
    else:
        out.append("No stand-ups recorded.")
    out.append("")

    out += ["## Decisions", ""]
    out += [f"- {decisions.heading(d)}: {shorten(d.decision, 200)}" for d in report.decisions] or [
        "No decisions recorded."
    ]
    out += ["", "## Tech radar changes", ""]
    out += [f"- {change}" for change in report.radar_changes] or ["No radar changes."]
    out += ["", "## Hours", "", report.hours.summary(), ""]
    return "\n".join(out)


def render_files(report: MonthlyReport) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """(markdown file, chart file) as names and bytes."""
    chart = f"{report.slug}.png"
    return (
        (f"{report.slug}.md", to_markdown(report, chart).encode()),
        (chart, render_png(report.chart)),
    )
