"""Clocks: the system's, and one that only moves when told to."""

from __future__ import annotations

import time

from application.ports.clock import Clock


class SystemClock(Clock):
    """The wall clock (`time.time`)."""

    def now(self) -> float:
        return time.time()


class FixedClock(Clock):
    """A clock that stands still until it is `set` or `advance`d; for tests and replays."""

    def __init__(self, at: float = 0.0) -> None:
        self._now = at

    def now(self) -> float:
        return self._now

    def set(self, at: float) -> None:
        """Move the clock to `at` seconds since the epoch (backwards too)."""
        self._now = at

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`."""
        if seconds < 0:
            raise ValueError(f"a clock advances by a non-negative amount, got {seconds}")
        self._now += seconds
