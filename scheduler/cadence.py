"""When a schedule fires: a cadence in its own zone, turned into APScheduler triggers.

Times are kept as a local wall-clock time plus an IANA zone and turned into UTC only
through APScheduler's CronTrigger, so a DST change never moves a 09:30 stand-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.calendar import month_day_words, zone


@dataclass(frozen=True)
class Cadence:
    """When a schedule fires, in its own zone."""

    at: time
    tz: str
    days: str = "mon-fri"
    every_weeks: int = 1
    anchor: date | None = None
    month_day: str = ""

    def trigger(self) -> BaseTrigger:
        """APScheduler's trigger for this cadence (shared: schedules alike share one)."""
        return _trigger(self)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after `moment`, in UTC. A local time that occurs twice
        when clocks go back (02:30 in Berlin on the last Sunday of October) fires at its
        first occurrence only: one fire per local day, as the team expects."""
        trigger, tz = self.trigger(), zone(self.tz)
        fire = _next_utc(trigger, moment)
        while fire is not None and fire.astimezone(tz).fold:
            fire = _next_utc(trigger, fire)
        return fire

    def describe(self) -> str:
        if self.month_day:
            when = f"monthly on the {month_day_words(self.month_day)}"
        elif self.every_weeks > 1:
            when = f"every {self.every_weeks} weeks on {self.days}"
        else:
            when = f"on {self.days}"
        return f"{when} at {self.at:%H:%M} {self.tz}"


def _next_utc(trigger: BaseTrigger, moment: datetime) -> datetime | None:
    """The trigger's next fire after `moment`, in UTC: arithmetic on a local time would lose
    which of two equal wall-clock times it was (`fold`)."""
    after = moment.astimezone(UTC) + timedelta(microseconds=1)
    fire = trigger.get_next_fire_time(None, after)
    return fire.astimezone(UTC) if fire else None


@lru_cache(maxsize=16384)
def _trigger(cadence: Cadence) -> BaseTrigger:
    cron = CronTrigger(
        day_of_week=None if cadence.month_day else cadence.days,
        day=cadence.month_day or None,
        hour=cadence.at.hour,
        minute=cadence.at.minute,
        timezone=zone(cadence.tz),
    )
    if cadence.every_weeks > 1 and not cadence.month_day:
        return EveryNWeeks(cron, cadence.every_weeks, cadence.anchor or date(2026, 1, 5))
    return cron


class EveryNWeeks(BaseTrigger):
    """A weekly cron that fires only every n-th week counted from an anchor week."""

    def __init__(self, cron: CronTrigger, weeks: int, anchor: date) -> None:
        self.cron = cron
        self.weeks = weeks
        self.anchor_monday = anchor - timedelta(days=anchor.weekday())

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        moment = now
        for _ in range(7 * self.weeks + 1):
            fire: datetime | None = self.cron.get_next_fire_time(None, moment)
            if fire is None:
                return None
            if ((fire.date() - self.anchor_monday).days // 7) % self.weeks == 0:
                return fire
            moment = fire + timedelta(seconds=1)
        return None
