"""Storage management while a node serves (ADR 23): threshold checks that evict, and the
cleanup schedule. The index and the batch recorder are opened by the container."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from litestar import Litestar

from application.errors import AccessIndexUnavailable
from domain.cron import CronSchedule
from domain.storage import StorageLevel
from entrypoints.composition import Container

log = logging.getLogger(__name__)


def install_storage_upkeep(app: Litestar, container: Container) -> None:
    """Start the upkeep with `app`; stop it before the container closes."""
    upkeep = StorageUpkeep(container)
    app.on_startup.append(upkeep.start)
    app.on_shutdown.append(upkeep.stop)  # shutdown hooks run last-added first


class StorageUpkeep:
    """With the HTTP app: check the thresholds every STORAGE_CHECK_INTERVAL (evicting past
    one), and clean up at each STORAGE_CLEANUP_CRON time (STORAGE_CLEANUP_ENABLED,
    STORAGE_CLEANUP_DRY_RUN), on the node holding the storage schedule's lease (ADR 28)."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self._container.settings()
        if not settings.ACCESS_INDEX_ENABLED:
            return
        self._spawn(self._every(lambda: settings.STORAGE_CHECK_INTERVAL / 1000, self._check))
        if settings.STORAGE_CLEANUP_ENABLED and settings.STORAGE_CLEANUP_CRON:
            schedule = CronSchedule.parse(settings.STORAGE_CLEANUP_CRON)
            self._spawn(self._every(lambda: _until(schedule), self._clean))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if tasks:
            await self._container.jobs.storage_schedule().release()

    def _spawn(self, work: Awaitable[None]) -> None:
        self._tasks.append(asyncio.ensure_future(work))

    async def _every(
        self, pause: Callable[[], float], work: Callable[[], Awaitable[object]]
    ) -> None:
        schedule = self._container.jobs.storage_schedule()
        while True:
            await asyncio.sleep(pause())
            try:
                if await schedule.held():  # one scheduler per access index (ADR 28)
                    await work()
            except AccessIndexUnavailable as exc:
                log.warning("storage upkeep skipped: %s", exc)
            except Exception:
                log.exception("storage upkeep failed")

    async def _check(self) -> None:
        storage = self._container.storage
        report = await storage.measure()()
        if report.level is not StorageLevel.OK:
            log.warning("storage %s: %s", report.level.value, "; ".join(report.problems))
            await storage.evict()()

    async def _clean(self) -> None:
        live = self._container.core.live_settings().current
        await self._container.storage.clean_up()(
            dry_run=live.STORAGE_CLEANUP_DRY_RUN, budget=live.STORAGE_CLEANUP_MAX_DURATION / 1000
        )


def _until(schedule: CronSchedule) -> float:
    now = datetime.now(UTC)
    return (schedule.next_after(now) - now).total_seconds()
