"""Per-request phase timings: any layer records `(phase, seconds)`, the HTTP layer reports them.

The HTTP wrapper opens a `recording()` per request; inside it, `record("fetch", 0.12)` or
`with timed("encode"): ...` add to that request's `PhaseTimings`, which end up in the
`Server-Timing` header, the slow-request log line and the performance watch. Outside a
recording both are no-ops, so use cases and adapters can call them unconditionally. Tasks and
`asyncio.to_thread` calls started inside a recording write into the same one.
"""

from __future__ import annotations

import re
import time
from collections.abc import ItemsView, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from application.context_binding import bound

_PHASE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_VALID: set[str] = set()  # phase names seen valid (a handful: cache, fetch, transform, ...)
_MAX_VALID = 256


def _valid(phase: str) -> bool:
    if not _PHASE.fullmatch(phase):
        return False
    if len(_VALID) < _MAX_VALID:
        _VALID.add(phase)
    return True


class PhaseTimings:
    """The phases of one request with the seconds spent in each, in the order first seen."""

    __slots__ = ("_seconds",)

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}

    def record(self, phase: str, seconds: float) -> None:
        """Add `seconds` to `phase` (a token of at most 32 `[A-Za-z0-9_-]`; others are dropped)."""
        if seconds < 0 or (phase not in _VALID and not _valid(phase)):
            return
        self._seconds[phase] = self._seconds.get(phase, 0.0) + seconds

    def phases(self) -> dict[str, float]:
        """Seconds per phase, summed over repeated records of the same phase."""
        return dict(self._seconds)

    def items(self) -> ItemsView[str, float]:
        """(phase, seconds) of every phase so far, without a copy: read it before the next
        record."""
        return self._seconds.items()

    def server_timing(self, total: float) -> str:
        """The `Server-Timing` header value: every phase, then `total`, in milliseconds."""
        entries = [f"{phase};dur={seconds * 1000:.1f}" for phase, seconds in self._seconds.items()]
        entries.append(f"total;dur={total * 1000:.1f}")
        return ", ".join(entries)


_current: ContextVar[PhaseTimings | None] = ContextVar("media_stream_phase_timings", default=None)


def recording() -> bound[PhaseTimings]:
    """Collect the phases recorded in this block (one request) into a fresh `PhaseTimings`."""
    return bound(_current, PhaseTimings())


def record(phase: str, seconds: float) -> None:
    """Add `seconds` spent in `phase` to the current request's timings, if one is recording."""
    timings = _current.get()
    if timings is not None:
        timings.record(phase, seconds)


@contextmanager
def timed(phase: str) -> Iterator[None]:
    """Record the wall time the block takes (awaits included) as `phase`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        record(phase, time.perf_counter() - started)
