"""Cron schedules as CACHE_WARMING_CRON writes them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.cron import CronSchedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 */6 * * *", "2026-12-03T10:24:16", "2026-12-03T12:00:00"),
        ("0 */6 * * *", "2026-12-03T23:59:00", "2026-12-04T00:00:00"),
        ("*/15 * * * *", "2026-12-03T10:15:00", "2026-12-03T10:30:00"),
        ("0 2 * * *", "2026-12-03T02:00:30", "2026-12-04T02:00:00"),
        ("30 4 1 * *", "2026-12-03T00:00:00", "2027-01-01T04:30:00"),
        ("0 9 * * mon-fri", "2026-12-05T10:00:00", "2026-12-07T09:00:00"),  # Sat -> Mon
        ("0 0 * * 7", "2026-12-03T00:00:00", "2026-12-06T00:00:00"),  # 7 is Sunday
        ("0 0 29 feb *", "2026-12-03T00:00:00", "2028-02-29T00:00:00"),
        ("0 0 1 * 1", "2026-12-03T00:00:00", "2026-12-07T00:00:00"),  # 1st or a Monday
        ("5,10 1-2 * jan *", "2026-12-03T00:00:00", "2027-01-01T01:05:00"),
    ],
)
def test_the_next_time_a_schedule_fires(expression: str, after: str, expected: str) -> None:
    assert CronSchedule.parse(expression).next_after(at(after)) == at(expected)


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 */6 * *", "5 fields"),
        ("61 * * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 0 0 * *", "day of month"),
        ("0 0 * 13 *", "month"),
        ("0 0 * * 8", "day of week"),
        ("*/0 * * * *", "minute"),
        ("x * * * *", "not a number"),
        ("0 0 31 feb *", "never fires"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_problem(expression: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        CronSchedule.parse(expression)
