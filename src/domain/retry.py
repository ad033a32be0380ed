"""When to ask the origin again, and how long to wait first.

Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
before retry `n` (0-based) the fetcher sleeps a uniformly random time in
`[0, min(max_delay, base_delay * 2**n))`, so a crowd of clients that failed together does not
come back together. A `Retry-After` from the origin replaces the random delay: the origin is
never asked sooner than it said, and when it asks for longer than `max_delay` the fetch gives
up at once instead of holding the request open.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MAX_EXPONENT = 32  # 2**32 times any sane base delay is far past any max_delay


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry a failed attempt and how long to wait; durations in seconds."""

    max_retries: int = 2
    base_delay: float = 0.1
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError(
                f"need 0 <= base_delay <= max_delay, got {self.base_delay} and {self.max_delay}"
            )

    @staticmethod
    def retries_status(status: int) -> bool:
        """True for the statuses worth asking again: 408, 429, 500, 502, 503, 504."""
        return status in RETRYABLE_STATUSES

    def ceiling(self, retry: int) -> float:
        """The longest backoff before retry number `retry` (0-based)."""
        growth: float = 2.0 ** min(retry, _MAX_EXPONENT)
        return min(self.max_delay, self.base_delay * growth)

    def delay(self, retry: int, jitter: float, retry_after: float | None = None) -> float | None:
        """Seconds to sleep before retry number `retry` (0-based), or None to stop retrying.

        `jitter` is a uniform random number in [0, 1); `retry_after` the origin's own
        `Retry-After`, in seconds, when it sent one.
        """
        if not 0.0 <= jitter < 1.0:
            raise ValueError(f"jitter must be in [0, 1), got {jitter}")
        if retry >= self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_delay else None
        return jitter * self.ceiling(retry)


def parse_retry_after(value: str, now: float) -> float | None:
    """Seconds a `Retry-After` value asks to wait (delta-seconds or an HTTP date), at least 0;
    None when the value is neither."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)
