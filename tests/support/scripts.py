"""Origin routes whose answer changes from one request to the next, for retry and breaker tests."""

from __future__ import annotations

import threading
import time

from tests.support.origin_server import RecordedRequest, Reply


class Script:
    """A route answering its requests with `replies` in turn, then the last one for ever.

    `times` holds the `time.monotonic()` of every request, to measure the waits between them.
    """

    def __init__(self, *replies: Reply) -> None:
        if not replies:
            raise ValueError("a script needs at least one reply")
        self._replies = replies
        self._lock = threading.Lock()
        self.times: list[float] = []

    def __call__(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.times.append(time.monotonic())
            return self._replies[min(len(self.times), len(self._replies)) - 1]

    @property
    def gaps(self) -> list[float]:
        """Seconds between one request and the next."""
        return [later - earlier for earlier, later in zip(self.times, self.times[1:], strict=False)]


class Switch:
    """A route answering `up` or `down` depending on `is_up`, which a test flips."""

    def __init__(self, up: Reply, down: Reply) -> None:
        self.up_reply = up
        self.down_reply = down
        self.is_up = True
        self.requests = 0

    def __call__(self, request: RecordedRequest) -> Reply:
        self.requests += 1
        return self.up_reply if self.is_up else self.down_reply
