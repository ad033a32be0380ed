"""Port: the current time."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Answers the current time in seconds since the epoch."""

    def now(self) -> float: ...
