"""Backoff arithmetic and Retry-After parsing (domain/retry.py), with injected randomness."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from domain.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

POLICY = RetryPolicy(max_retries=5, base_delay=0.1, max_delay=1.0)


@pytest.mark.parametrize(
    ("retry", "ceiling"), [(0, 0.1), (1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (40, 1.0)]
)
def test_the_ceiling_doubles_up_to_the_max_delay(retry: int, ceiling: float) -> None:
    assert POLICY.ceiling(retry) == pytest.approx(ceiling)


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.5, 0.999])
def test_full_jitter_is_a_uniform_share_of_the_ceiling(jitter: float) -> None:
    assert [POLICY.delay(retry, jitter) for retry in range(5)] == pytest.approx(
        [jitter * ceiling for ceiling in (0.1, 0.2, 0.4, 0.8, 1.0)]
    )


def test_no_delay_after_the_last_retry() -> None:
    assert POLICY.delay(4, 0.5) is not None
    assert POLICY.delay(5, 0.5) is None
    assert RetryPolicy(max_retries=0).delay(0, 0.5) is None


def test_retry_after_replaces_the_random_delay() -> None:
    assert POLICY.delay(0, 0.0, retry_after=0.7) == 0.7
    assert POLICY.delay(3, 0.9, retry_after=0.0) == 0.0
    assert POLICY.delay(0, 0.5, retry_after=1.0) == 1.0  # exactly the max delay is fine


def test_a_retry_after_beyond_the_max_delay_stops_retrying() -> None:
    assert POLICY.delay(0, 0.5, retry_after=1.01) is None
    assert POLICY.delay(5, 0.5, retry_after=0.1) is None  # and retries still run out


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 2.0])
def test_jitter_outside_the_unit_interval_is_a_bug(jitter: float) -> None:
    with pytest.raises(ValueError):
        POLICY.delay(0, jitter)


@pytest.mark.parametrize(
    ("max_retries", "base", "maximum"), [(-1, 0.1, 1.0), (1, -0.1, 1.0), (1, 2.0, 1.0)]
)
def test_an_inconsistent_policy_is_refused(max_retries: int, base: float, maximum: float) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=max_retries, base_delay=base, max_delay=maximum)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert RetryPolicy.retries_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 410, 418, 501, 505])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not RetryPolicy.retries_status(status)
    assert status not in RETRYABLE_STATUSES


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("3", 3.0),
        (" 120 ", 120.0),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past: go ahead now
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a non-ASCII digit
    ],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
