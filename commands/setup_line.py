"""The one-line setup form shared by stand-ups, check-ins and share schedules, the same on
every platform: `at 09:30 on mon-fri tz Europe/Berlin window 4h participants @a @b
questions "…" "…" report thread reminders 2`, plus a cadence for check-ins (`weekly`,
`every 2 weeks`, `monthly on 1st mon`). Only what is typed changes; the rest is kept."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import date

from bot.calendar import (
    DAY_NAMES,
    CalendarError,
    day_spec,
    format_duration,
    month_day_spec,
    parse_duration,
    parse_time,
    weekdays,
    zone,
)
from bot.db.models_schedule import Report, Schedule

# The settings of the one-line form, in the order the usage lines name them.
KEYWORDS = (
    "at",
    "on",
    "tz",
    "window",
    "participants",
    "questions",
    "report",
    "reminders",
    "escalate",
    "weekly",
    "every",
    "monthly",
    "daily",
)
_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|([^>]+))?>$")


@dataclass
class Form:
    """What a setup line set; None means "keep what is there"."""

    at: str | None = None
    days: str | None = None
    tz: str | None = None
    window_minutes: int | None = None
    participants: list[str] | None = None
    questions: list[str] | None = None
    report: Report | None = None
    reminders: int | None = None
    blocker_hours: float | None = None
    every_weeks: int | None = None
    month_day: str | None = None
    unknown: list[str] = field(default_factory=list)

    def apply(self, schedule: Schedule, today: date) -> None:
        if self.at is not None:
            schedule.local_time = self.at
        if self.days is not None:
            schedule.days = self.days
        if self.tz is not None:
            schedule.timezone = self.tz
        if self.window_minutes is not None:
            schedule.window_minutes = self.window_minutes
        if self.questions is not None:
            schedule.questions = "\n".join(self.questions)
        if self.report is not None:
            schedule.report = self.report
        if self.reminders is not None:
            schedule.reminders = self.reminders
        if self.blocker_hours is not None:
            schedule.blocker_hours = self.blocker_hours
        if self.every_weeks is not None:
            schedule.every_weeks = self.every_weeks
            schedule.anchor_date = today.isoformat()
            schedule.month_day = ""
        if self.month_day is not None:
            schedule.month_day = self.month_day
            schedule.every_weeks = 1


def _take(words: list[str], start: int) -> list[str]:
    """Words after a keyword, up to the next keyword."""
    taken = []
    for word in words[start:]:
        if word.lower() in KEYWORDS:
            break
        taken.append(word)
    return taken


def mention(word: str) -> tuple[str, str]:
    """`<@U123|dana>`, `<@U123>` or `@dana` → (user id or "", name or "")."""
    found = _MENTION.match(word)
    if found:
        return found.group(1), found.group(2) or ""
    return "", word.lstrip("@")


def _unknown(word: str) -> CalendarError:
    return CalendarError(f"unknown setting `{word[:40]}`: the settings are {', '.join(KEYWORDS)}")


def _days_after_time(words: list[str]) -> str:
    """Days may follow the time without `on` (`at 09:30 mon-fri`), as people say it; a word
    there that does not start like a day is a setting the form does not have."""
    for word in words:
        if word[:3].lower() not in DAY_NAMES and not _names_days(word):
            raise _unknown(word)
    return day_spec(",".join(words))


def _names_days(word: str) -> bool:
    try:
        weekdays(word)
    except CalendarError:
        return False
    return True


def parse(text: str, longest_window: int = 7 * 24 * 60) -> Form:
    """Parse a setup line; raises CalendarError with a message a user can act on.
    `longest_window` (minutes) is the kind's: a stand-up's must close before the next opens."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise CalendarError("a quote is not closed") from None
    form = Form()
    i = 0
    while i < len(words):
        word = words[i].lower()
        args = _take(words, i + 1)
        i += 1 + len(args)
        if word == "at" and args:
            form.at = f"{parse_time(args[0]):%H:%M}"
            if args[1:]:
                form.days = _days_after_time(args[1:])
        elif word == "on" and not args and i < len(words) and words[i].lower() == "daily":
            continue  # "on daily" is said as often as "daily": the next word sets the days
        elif word == "on" and args:
            if form.month_day is not None or (args[0][:1].isdigit() or args[0] == "last"):
                form.month_day = month_day_spec(args)
                form.every_weeks = None
            else:
                form.days = day_spec(",".join(args))
        elif word == "tz" and len(args) == 1:
            zone(args[0])
            form.tz = args[0]
        elif word == "window" and len(args) == 1:
            form.window_minutes = int(parse_duration(args[0]).total_seconds() // 60)
        elif word == "participants" and args:
            form.participants = args
        elif word == "questions" and args:
            form.questions = [a.strip() for a in args if a.strip()]
        elif word == "report" and len(args) == 1 and args[0].lower() in set(Report):
            form.report = Report(args[0].lower())
        elif word == "reminders" and len(args) == 1 and args[0].isdigit():
            form.reminders = min(int(args[0]), 5)
        elif word == "escalate" and len(args) == 1:
            form.blocker_hours = parse_duration(args[0]).total_seconds() / 3600
        elif word == "weekly" and not args:
            form.every_weeks = 1
        elif word == "daily" and not args:
            form.every_weeks, form.days = 1, "mon-fri"
        elif word == "every" and len(args) == 2 and args[0].isdigit() and "week" in args[1]:
            if not 1 <= int(args[0]) <= 52:
                raise CalendarError("`every N weeks` takes N from 1 to 52")
            form.every_weeks = int(args[0])
        elif word == "monthly" and not args:
            form.month_day = form.month_day or "1st mon"
        elif word not in KEYWORDS:
            raise _unknown(word)
        else:
            raise CalendarError(f"I don't understand `{' '.join([word, *args])[:60]}`")
    if form.window_minutes is not None and not 5 <= form.window_minutes <= longest_window:
        raise CalendarError(f"the window must be between 5m and {format_duration(longest_window)}")
    if form.blocker_hours is not None and form.blocker_hours <= 0:
        raise CalendarError("`escalate` needs a time above zero, like 48h")
    return form
