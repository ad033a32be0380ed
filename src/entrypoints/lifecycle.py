"""The node's life: serving, then draining (readiness 503, new work refused), then stopped."""

from __future__ import annotations

import asyncio
import time


class Lifecycle:
    """Whether the node is draining, and how many requests it is answering right now.

    The HTTP wrapper counts requests in and out; the server's stop signal handler calls
    `begin_drain()` and waits with `wait_idle` for the count to reach zero.
    """

    def __init__(self) -> None:
        self.draining = False
        self.drain_started: float | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def begin_drain(self) -> bool:
        """Start draining; True the first time, False when already draining."""
        if self.draining:
            return False
        self.draining = True
        self.drain_started = time.monotonic()
        return True

    def request_started(self) -> int:
        """Count one more request in flight; answers the new count."""
        self._in_flight += 1
        if self._in_flight == 1:  # the event is set exactly while none are in flight
            self._idle.clear()
        return self._in_flight

    def request_finished(self) -> int:
        """Count one request less in flight; answers the new count."""
        if self._in_flight > 0:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        return self._in_flight

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no request is in flight; False when `seconds` pass first."""
        try:
            async with asyncio.timeout(seconds):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True
