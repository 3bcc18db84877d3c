"""When the CAIO owes an answer: the client's response target counted in office hours only
(the client's zone, working days and public holidays), and when to nudge before that."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from bot.calendar import CalendarError, OfficeHours, holiday, zone
from bot.db.models import Client

log = structlog.get_logger(__name__)

NUDGE_LEAD = timedelta(hours=2)
_MAX_DAYS = 2 * 366


def due_at(client: Client, asked: datetime) -> datetime:
    """`asked` plus `response_target_hours` of the client's office time."""
    target = timedelta(hours=client.response_target_hours)
    spans = _office_spans(client, asked)
    if spans is None:
        return asked + target
    remaining = target
    for opens, closes in spans:
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    return asked + target


def office_time(client: Client, start: datetime, end: datetime) -> timedelta:
    """The office time between two instants, counted as `due_at` counts the target: how long
    an answer took in the units the client's response target is given in."""
    spans = _office_spans(client, start)
    if spans is None:
        return end - start
    total = timedelta()
    for opens, closes in spans:
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def _office_spans(client: Client, start: datetime) -> Iterator[tuple[datetime, datetime]] | None:
    """The client's office hours from `start` on, as UTC (opens, closes) spans; None when
    its office hours or zone cannot be read (callers count wall-clock time then)."""
    try:
        hours = OfficeHours.parse(client.office_hours)
        tz = zone(client.timezone)
    except CalendarError:
        log.warning("office hours unreadable; counting wall-clock time", client=client.id)
        return None
    return _spans(client, hours, tz, start.astimezone(UTC))


def _spans(
    client: Client, hours: OfficeHours, tz: ZoneInfo, start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    day = start.astimezone(tz).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in hours.days and not holiday(client.country, client.region, day):
            opens = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
            if max(opens, start) < closes:
                yield max(opens, start), closes
        day += timedelta(days=1)


def nudge_at(asked: datetime, due: datetime) -> datetime:
    """A reminder to the CAIO shortly before the due time: two hours, or the last quarter
    of the time allowed when that is shorter."""
    return due - min(NUDGE_LEAD, (due - asked) / 4)
