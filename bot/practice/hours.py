"""Retainer hours: logging time, this month against the retainer, burn rate, projection,
and the 80% / 100% alerts, each sent once per client and month.

Months are the client's calendar months (in the client's time zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import calendar
from bot.db.models import Client
from bot.db.models_practice import HoursAlert, HoursEntry

THRESHOLDS = (80, 100)


def parse_duration(text: str) -> int | None:
    """Time worked (`1h30m`, `90m`, `1.5h`) in minutes, at most a day; None otherwise."""
    try:
        minutes = round(calendar.parse_duration(text).total_seconds() / 60)
    except calendar.CalendarError:
        return None
    return minutes if 0 < minutes <= 24 * 60 else None


def format_hours(minutes: float) -> str:
    """Hours to the minute (`7 h 15 m`, `7 h`, `30 m`): entries shown rounded to a tenth
    did not add up to the total shown beside them."""
    hours, rest = divmod(round(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} m"
    return f"{rest} m" if rest else f"{hours} h"


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """The first instant of `YYYY-MM` and of the month after, in the client's zone."""
    year, number = (int(p) for p in month.split("-"))
    zone = ZoneInfo(timezone)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end


def month_of(when: datetime, timezone: str) -> str:
    return f"{when.astimezone(ZoneInfo(timezone)):%Y-%m}"


def valid_month(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text))


def in_calendar(month: str) -> bool:
    """Whether a well-formed month has bounds Python's calendar can hold: 0000-01 starts in
    year 0 and 9999-12 ends in year 10000, neither of which exists."""
    try:
        month_bounds(month, "UTC")
    except ValueError:
        return False
    return True


def not_started(month: str, now: datetime, timezone: str) -> str | None:
    """Why there is nothing to report for a month after this one (its report would be all
    zeros, read as a month without activity); None for this month and earlier ones."""
    current = month_of(now, timezone)
    if month <= current:
        return None
    return f"{month} has not started yet (it is {current} for this client): nothing to report."


@dataclass(frozen=True)
class MonthHours:
    """A month's use of the retainer, as of `now`."""

    month: str
    minutes: int
    retainer_hours: float
    elapsed: float  # share of the month gone, 0..1
    days_elapsed: float
    days_in_month: int

    @property
    def used_share(self) -> float | None:
        return self.minutes / 60 / self.retainer_hours if self.retainer_hours else None

    @property
    def per_day(self) -> float:
        """Burn rate: hours per calendar day so far."""
        return self.minutes / 60 / max(self.days_elapsed, 1.0)

    @property
    def projected_hours(self) -> float:
        """Where the month ends if the pace so far holds."""
        if self.elapsed >= 1:
            return self.minutes / 60
        return self.minutes / 60 / max(self.elapsed, 1 / self.days_in_month)

    def summary(self) -> str:
        used = format_hours(self.minutes)
        if not self.retainer_hours:
            return f"{used} logged in {self.month} (no retainer set)."
        share = self.used_share or 0
        retainer = format_hours(self.retainer_hours * 60)
        text = f"{used} of {retainer} retainer used in {self.month} ({share:.0%})"
        if self.elapsed < 1:
            projected = self.projected_hours
            text += (
                f"; burn rate {format_hours(self.per_day * 60)}/day, projected "
                f"{format_hours(projected * 60)} by month end "
                f"({projected / self.retainer_hours:.0%})"
            )
        return text + "."


async def log_hours(
    session: AsyncSession,
    client_id: str,
    minutes: int,
    note: str,
    by: str,
    now: datetime,
    escalation_id: int | None = None,
) -> HoursEntry:
    entry = HoursEntry(
        client_id=client_id,
        minutes=minutes,
        note=note,
        logged_by=by,
        escalation_id=escalation_id,
        worked_at=now,
    )
    session.add(entry)
    await session.commit()
    return entry


async def month_hours(
    session: AsyncSession, client: Client, month: str, now: datetime
) -> MonthHours:
    start, end = month_bounds(month, client.timezone)
    total = (
        await session.exec(
            select(func.coalesce(func.sum(HoursEntry.minutes), 0)).where(
                HoursEntry.client_id == client.id,
                col(HoursEntry.worked_at) >= start,
                col(HoursEntry.worked_at) < end,
            )
        )
    ).one()
    span = (end - start).total_seconds()
    gone = min(max((now - start).total_seconds(), 0.0), span)
    return MonthHours(
        month=month,
        minutes=int(total),
        retainer_hours=client.retainer_hours,
        elapsed=gone / span,
        days_elapsed=gone / 86400,
        days_in_month=round(span / 86400),
    )


async def month_entries(session: AsyncSession, client: Client, month: str) -> list[HoursEntry]:
    start, end = month_bounds(month, client.timezone)
    rows = await session.exec(
        select(HoursEntry)
        .where(
            HoursEntry.client_id == client.id,
            col(HoursEntry.worked_at) >= start,
            col(HoursEntry.worked_at) < end,
        )
        .order_by(col(HoursEntry.worked_at), col(HoursEntry.id))
    )
    return list(rows)


async def claim_alerts(
    session: AsyncSession, client: Client, hours: MonthHours, now: datetime
) -> list[int]:
    """Thresholds crossed and not yet announced this month, claimed so no other process
    (or later log) announces them again."""
    share = hours.used_share
    if share is None:
        return []
    claimed = []
    for threshold in THRESHOLDS:
        if share * 100 < threshold:
            continue
        try:
            session.add(
                HoursAlert(client_id=client.id, month=hours.month, threshold=threshold, sent_at=now)
            )
            await session.commit()
            claimed.append(threshold)
        except IntegrityError:
            await session.rollback()
    return claimed


def alert_text(client: Client, threshold: int, hours: MonthHours) -> str:
    used = format_hours(hours.minutes)
    retainer = format_hours(client.retainer_hours * 60)
    if threshold >= 100:
        return (
            f"⚠️ {client.name} has used its whole retainer for {hours.month}: {used} of "
            f"{retainer}. Agree extra hours before doing more."
        )
    return (
        f"{client.name} is at {threshold}% of its {hours.month} retainer: {used} of "
        f"{retainer}, projected {format_hours(hours.projected_hours * 60)} by month end."
    )
