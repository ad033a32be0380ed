"""What keeps a node's cache in line with the others while it runs: the flush listener and
the warming schedule."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from domain.cron import CronSchedule
from entrypoints.composition import Container
from entrypoints.settings import Settings

log = logging.getLogger(__name__)
START_WARMING_TIMEOUT = 10.0


class CacheUpkeep:
    """Started with the HTTP app, stopped before the container closes.

    At start: subscribe to tenant flushes (every node must hear them), warm the cache once
    (with CACHE_WARMING_ON_START; bounded, so a slow Redis cannot hold start-up), then warm in
    the background at each time CACHE_WARMING_CRON names, or every CACHE_WARMING_INTERVAL
    seconds without one, on the one node holding the warming schedule's lease (ADR 28).
    """

    def __init__(self, container: Container) -> None:
        self._container = container
        self._schedule: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self._container.settings()
        imaging = self._container.imaging
        await self._container.shared.flush_broadcast().listen(imaging.forget_flushed_tenants())
        if not settings.CACHE_WARMING_ENABLED:
            return
        if settings.CACHE_WARMING_ON_START:
            await self._warm_once(START_WARMING_TIMEOUT)
        self._schedule = asyncio.create_task(self._warm_every(warming_pause(settings)))

    async def stop(self) -> None:
        schedule, self._schedule = self._schedule, None
        if schedule is not None:
            schedule.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await schedule
            await self._container.jobs.warming_schedule().release()

    async def _warm_every(self, pause: Callable[[], float]) -> None:
        schedule = self._container.jobs.warming_schedule()
        while True:
            seconds = pause()
            await asyncio.sleep(seconds)
            if await schedule.held():  # one node of the cluster warms (ADR 28)
                await self._warm_once(max(seconds, START_WARMING_TIMEOUT))

    async def _warm_once(self, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                await self._container.imaging.warm_cache()()
        except TimeoutError:
            log.warning("cache warming did not finish within %.0f s", within)
        except Exception:
            log.exception("cache warming failed")


def warming_pause(settings: Settings) -> Callable[[], float]:
    """Seconds until the next warming: to the cron schedule's next time, else the interval."""
    interval = float(settings.CACHE_WARMING_INTERVAL)
    if not settings.CACHE_WARMING_CRON:
        return lambda: interval
    schedule = CronSchedule.parse(settings.CACHE_WARMING_CRON)

    def until_next() -> float:
        now = datetime.now(UTC)
        return (schedule.next_after(now) - now).total_seconds()

    return until_next
