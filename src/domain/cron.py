"""Cron schedules (`0 */6 * * *`), as the Node service's `CACHE_WARMING_CRON` wrote them.

Five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec), day of
week (0-7, 0 and 7 are Sunday, or sun-sat). Each is `*`, a number, a range `a-b`, any of those
with a step (`*/15`, `1-30/2`), or a comma-separated list of them. As in cron, when both day
fields are restricted a day matching either one fires. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names for lowest.. onwards)
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
# Four years cover every calendar (29 February included); a schedule silent that long never fires.
_SEARCH_LIMIT = timedelta(days=4 * 366)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """When a five-field cron expression fires."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is `*`
    any_weekday: bool  # day of week is `*`

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse `expression`; raises ValueError naming the field that is wrong."""
        fields = expression.split()
        if len(fields) != len(_FIELDS):
            raise ValueError(f"a cron schedule has 5 fields, {expression!r} has {len(fields)}")
        values = [_parse_field(text, *spec) for text, spec in zip(fields, _FIELDS, strict=True)]
        weekdays = frozenset(0 if day == 7 else day for day in values[4])
        schedule = cls(
            values[0], values[1], values[2], values[3], weekdays, fields[2] == "*", fields[4] == "*"
        )
        schedule.next_after(datetime(2000, 1, 1))  # raises when it never fires
        return schedule

    def next_after(self, moment: datetime) -> datetime:
        """The first whole minute after `moment` at which the schedule fires."""
        at = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = at + _SEARCH_LIMIT
        while at < limit:
            if at.month not in self.months:
                at = _first_of_next_month(at)
            elif not self._fires_on(at):
                at = at.replace(hour=0, minute=0) + timedelta(days=1)
            elif at.hour not in self.hours:
                at = at.replace(minute=0) + timedelta(hours=1)
            elif at.minute not in self.minutes:
                at += timedelta(minutes=1)
            else:
                return at
        raise ValueError("the cron schedule never fires")

    def _fires_on(self, day: datetime) -> bool:
        by_date = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return by_date and by_weekday
        return by_date or by_weekday


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=1, hour=0, minute=0)


def _parse_field(
    text: str, name: str, low: int, high: int, names: tuple[str, ...]
) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = _number(step_text, name, names, low) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(start, name, names, low), _number(end, name, names, low)
        else:
            first = _number(span, name, names, low)
            last = high if step_text else first
        if not low <= first <= last <= high or step < 1:
            raise ValueError(f"cron {name} {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, name: str, names: tuple[str, ...], low: int) -> int:
    lowered = text.strip().lower()
    if lowered in names:
        return names.index(lowered) + low
    if not lowered.isdigit():
        raise ValueError(f"cron {name} {text!r} is not a number")
    return int(lowered)
