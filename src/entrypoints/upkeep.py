"""What keeps a node's cache in line with the others while it runs: the flush listener and
the warming schedule."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from entrypoints.container import Container

log = logging.getLogger(__name__)
START_WARMING_TIMEOUT = 10.0


class CacheUpkeep:
    """Started with the HTTP app, stopped before the container closes.

    At start: subscribe to tenant flushes (every node must hear them), warm the cache once
    (bounded, so a slow Redis cannot hold start-up), then warm every CACHE_WARMING_INTERVAL
    seconds in the background.
    """

    def __init__(self, container: Container) -> None:
        self._container = container
        self._schedule: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self._container.settings()
        use_cases = self._container.use_cases
        await self._container.adapters.flush_broadcast().listen(use_cases.forget_flushed_tenants())
        if not settings.CACHE_WARMING_ENABLED:
            return
        await self._warm_once(START_WARMING_TIMEOUT)
        self._schedule = asyncio.create_task(self._warm_every(settings.CACHE_WARMING_INTERVAL))

    async def stop(self) -> None:
        schedule, self._schedule = self._schedule, None
        if schedule is not None:
            schedule.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await schedule
        await self._container.adapters.flush_broadcast().close()

    async def _warm_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self._warm_once(seconds)

    async def _warm_once(self, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                await self._container.use_cases.warm_cache()()
        except TimeoutError:
            log.warning("cache warming did not finish within %.0f s", within)
        except Exception:
            log.exception("cache warming failed")
