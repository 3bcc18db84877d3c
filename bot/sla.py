"""When the CAIO owes an answer: the client's response target counted in office hours only
(the client's zone, working days and public holidays), and when to nudge before that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from bot.db.models import Client
from scheduler.calendar import CalendarError, OfficeHours, holiday, zone

log = structlog.get_logger(__name__)

NUDGE_LEAD = timedelta(hours=2)
_MAX_DAYS = 2 * 366


def due_at(client: Client, asked: datetime) -> datetime:
    """`asked` plus `response_target_hours` of the client's office time."""
    target = timedelta(hours=client.response_target_hours)
    try:
        hours = OfficeHours.parse(client.office_hours)
        tz = zone(client.timezone)
    except CalendarError:
        log.warning("office hours unreadable; counting wall-clock time", client=client.id)
        return asked + target
    remaining = target
    day = asked.astimezone(tz).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in hours.days and not holiday(client.country, client.region, day):
            opens = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
            start = max(opens, asked.astimezone(UTC))
            if start < closes:
                if remaining <= closes - start:
                    return start + remaining
                remaining -= closes - start
        day += timedelta(days=1)
    return asked + target


def nudge_at(asked: datetime, due: datetime) -> datetime:
    """A reminder to the CAIO shortly before the due time: two hours, or the last quarter
    of the time allowed when that is shorter."""
    return due - min(NUDGE_LEAD, (due - asked) / 4)
