"""Calendar facts as people type and read them: zones, times, days, durations, dates,
public holidays, quiet hours and office hours. Parsing fails with `CalendarError`, whose
message a user can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {"weekdays": "mon-fri", "daily": "mon-sun", "everyday": "mon-sun"}
# Which weekday of the month, as typed and stored (`1st mon`), and as shown (first Monday).
_NTH = {
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "last": "last",
}
_DURATION = re.compile(
    r"^(?:(\d+)d(?:ays?)?)?(?:(\d+(?:\.\d+)?)h(?:rs?|ours?)?)?(?:(\d+)m(?:ins?|inutes?)?)?$"
)
# "1h30" as people write it in timesheets: minutes after hours need no unit.
_BARE_MINUTES = re.compile(r"(h(?:rs?|ours?)?)([0-5]?\d)$")


class CalendarError(ValueError):
    """Input a user typed that does not name a day, time, zone or duration."""


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone {name!r} (try Europe/Berlin)") from None


def parse_time(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip().lower())
    if not match:
        raise CalendarError(f"not a time: {text!r} (try 09:30)")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) == "pm" and hour < 12:
        hour += 12
    elif match.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise CalendarError(f"not a time: {text!r} (try 09:30)")
    return time(hour, minute)


def parse_duration(text: str) -> timedelta:
    """A duration as people type it anywhere in the bot: `4h`, `1.5h`, `2hrs`, `90m`,
    `45mins`, `1d`, `1h30m`, `1h30` (stand-up windows, blocker escalation, hours logged)."""
    match = _DURATION.fullmatch(_BARE_MINUTES.sub(r"\1\2m", text.strip().lower()))
    if not match or not any(match.groups()):
        raise CalendarError(f"not a duration: {text!r} (try 4h or 90m)")
    days, hours, minutes = match.groups()
    return timedelta(days=int(days or 0), hours=float(hours or 0), minutes=int(minutes or 0))


def format_duration(minutes: int) -> str:
    """Minutes the way `parse_duration` reads them back: `1d`, `4h`, `1h30m`, `45m`."""
    if minutes and minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(f"not a date: {text!r} (try 2026-12-24)") from None


def weekdays(spec: str) -> list[int]:
    """`mon-fri`, `mon,wed,fri`, `weekdays`, `daily` → Monday-based day numbers."""
    spec = _DAY_ALIASES.get(spec.strip().lower(), spec.strip().lower())
    found: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAY_NAMES or (last and last[:3] not in DAY_NAMES) or "-" in last:
            raise CalendarError(f"not a day: {part!r} (try mon-fri or mon,wed)")
        start = DAY_NAMES.index(first[:3])
        end = DAY_NAMES.index(last[:3]) if last else start
        span = range(start, end + 1) if end >= start else [*range(start, 7), *range(0, end + 1)]
        found.extend(d for d in span if d not in found)
    return sorted(found)


def day_spec(spec: str) -> str:
    """A normalised day list as stored and shown: `mon-fri`, `tue`, `mon,wed,fri`."""
    days = weekdays(spec)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
    return ",".join(DAY_NAMES[d] for d in days)


def month_day_spec(words: list[str]) -> str:
    """`1st mon`, `last fri`, `15` → APScheduler's `day` field."""
    if len(words) == 1 and words[0].isdigit() and 1 <= int(words[0]) <= 31:
        return words[0]
    if len(words) == 2 and words[0].lower() in _NTH and words[1][:3].lower() in DAY_NAMES:
        return f"{words[0].lower()} {words[1][:3].lower()}"
    raise CalendarError("monthly needs a day: `on 1st mon`, `on last fri` or `on 15`")


_DAY_WORDS = dict(
    zip(
        DAY_NAMES,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def month_day_words(spec: str) -> str:
    """`1st mon` → "first Monday", `last fri` → "last Friday", `15` → "15th", as shown."""
    if spec.isdigit():
        n = int(spec)
        suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    nth, day = spec.split()
    return f"{_NTH[nth]} {_DAY_WORDS[day]}"


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(zone(tz)).date()


@lru_cache(maxsize=256)
def _holidays(country: str, region: str | None, year: int) -> dict[date, str]:
    try:
        found = holidays.country_holidays(country, subdiv=region, years=year)
    except NotImplementedError:
        return {}
    return dict(found.items())


def holiday(country: str | None, region: str | None, day: date) -> str | None:
    """The name of the public holiday on `day` in the client's country/region, if any."""
    if not country:
        return None
    return _holidays(country.upper(), region or None, day.year).get(day)


def _span(text: str) -> tuple[time, time]:
    start, _, end = text.partition("-")
    return parse_time(start), parse_time(end)


def in_quiet_hours(quiet: str, moment: datetime, tz: tzinfo) -> bool:
    """Whether `moment` falls in quiet hours like `20:00-08:00` (wrapping midnight)."""
    if not quiet.strip():
        return False
    start, end = _span(quiet)
    now = moment.astimezone(tz).time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


@dataclass(frozen=True)
class OfficeHours:
    """`mon-fri 09:00-17:00`: the days and the daily span the CAIO works for a client."""

    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        parts = text.split()
        if len(parts) != 2:
            raise CalendarError(f"office hours look like `mon-fri 09:00-17:00`, not {text!r}")
        start, end = _span(parts[1])
        if end <= start:
            raise CalendarError("office hours must end after they start")
        return cls(frozenset(weekdays(parts[0])), start, end)
