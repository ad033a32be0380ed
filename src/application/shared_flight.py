"""Coalescing across nodes: one node at a time does a named piece of work, the others wait."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from application.ports.work_leases import WorkLeases

T = TypeVar("T")
log = logging.getLogger(__name__)


class SharedFlight(Generic[T]):
    """Runs `work` for a name on one node at a time, through a short lease (ADR 8).

    The caller that gets the lease checks `settled()` once more (another node may have just
    finished) and else works, renewing the lease every third of its lifetime. The others poll
    the lease, with a growing pause, until it is gone, then ask `settled()`: the leader's
    outcome, read from a shared store. A leader that failed (no outcome) or died (its lease
    expired) leaves the name free, and the next caller to get it works instead. A caller that
    waited `max_wait` seconds works regardless, so a stuck leader costs a delay, never a hang.
    """

    def __init__(
        self,
        leases: WorkLeases,
        *,
        lease_seconds: float,
        max_wait: float,
        first_pause: float = 0.01,
        longest_pause: float = 0.1,
    ) -> None:
        if lease_seconds <= 0 or max_wait < 0:
            raise ValueError(f"need lease_seconds > 0 and max_wait >= 0, got {lease_seconds=}")
        self._leases = leases
        self._lease_seconds = lease_seconds
        self._max_wait = max_wait
        self._first_pause = first_pause
        self._longest_pause = longest_pause

    async def run(
        self,
        name: str,
        settled: Callable[[], Awaitable[T | None]],
        work: Callable[[], Awaitable[T]],
    ) -> T:
        """The outcome for `name`: `settled()` when some node produced it, else `work()`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_wait
        while True:
            token = await self._leases.acquire(name, self._lease_seconds)
            if token is not None:
                async with self._holding(name, token):
                    outcome = await settled()
                    return outcome if outcome is not None else await work()
            if not await self._wait_for_release(name, deadline):
                log.warning("gave up waiting for the leader of %s; working alone", name)
                return await work()
            outcome = await settled()
            if outcome is not None:
                return outcome

    async def _wait_for_release(self, name: str, deadline: float) -> bool:
        """Poll until nobody holds `name`; False when `deadline` passed first."""
        loop = asyncio.get_running_loop()
        pause = self._first_pause
        while await self._leases.is_held(name):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, self._longest_pause)
        return True

    @contextlib.asynccontextmanager
    async def _holding(self, name: str, token: str) -> AsyncIterator[None]:
        renewal = asyncio.create_task(self._keep_renewed(name, token))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            # Released even when the caller is cancelled, so followers do not wait it out.
            await asyncio.shield(self._leases.release(name, token))

    async def _keep_renewed(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            if not await self._leases.renew(name, token, self._lease_seconds):
                log.warning("lost the lease on %s while working", name)
                return
