"""Storage management's part of the composition root (ADR 22, ADR 23).

`Storage` builds the access index, the recorder and the storage use cases; `wire_storage`
routes the node's access counts and disk writes through them (with ACCESS_INDEX_ENABLED);
`StorageUpkeep` runs the batch writer, the threshold checks and the cleanup schedule with the
HTTP app; `close_storage` writes the last batch and closes the index.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dependency_injector import containers, providers
from litestar import Litestar
from sqlalchemy.exc import SQLAlchemyError

from adapters.disk import DiskResultCache, DiskResultFiles
from adapters.sql import Migrations, SqlAccessIndex
from adapters.sql.access_index import make_engine
from application.access_recorder import AccessRecorder
from application.clean_storage import CleanUpStorage, ReconcileIndex
from application.errors import AccessIndexUnavailable
from application.evict_results import EvictionSettings, EvictResults
from application.indexed_cache import IndexedAccessCounter, IndexedResultCache
from application.storage_usage import AccessIndexIndicator, MeasureStorage, StorageUsageIndicator
from domain.cron import CronSchedule
from domain.storage import StorageLevel
from entrypoints.settings import LiveSettings, Settings
from entrypoints.settings.storage import eviction_policy, retention_policy, storage_thresholds

if TYPE_CHECKING:
    from entrypoints.container import Container

log = logging.getLogger(__name__)


def make_index(settings: Settings) -> SqlAccessIndex:
    """The SQL index at ACCESS_INDEX_URL (default: a SQLite file in CACHE_FILE_DIRECTORY).
    The embedded SQLite file is brought to the latest schema when the index is first built
    (once per process, a few milliseconds); a PostgreSQL one is only connected on first use."""
    url = settings.access_index_url_in(settings.CACHE_FILE_DIRECTORY)
    if url.startswith("sqlite"):
        try:
            settings.CACHE_FILE_DIRECTORY.mkdir(parents=True, exist_ok=True)
        except OSError:
            log.warning("CACHE_FILE_DIRECTORY cannot be made: the access index is unavailable")
    index = SqlAccessIndex(make_engine(url))
    if settings.access_index_embedded:
        try:
            Migrations(index.engine).upgrade()
        except SQLAlchemyError:
            log.exception("the embedded access index could not be migrated")
    return index


def half_life_seconds(settings: Settings) -> float:
    return settings.ACCESS_INDEX_HALF_LIFE_HOURS * 3600


def eviction_settings(live: LiveSettings) -> Callable[[], EvictionSettings]:
    """The eviction's STORAGE_* values, read from the settings in force at each run."""
    return lambda: EvictionSettings(
        eviction_policy(live.current),
        storage_thresholds(live.current),
        live.current.STORAGE_EVICTION_AGGRESSIVENESS,
    )


class Storage(containers.DeclarativeContainer):
    """The access index and what it drives: recording, monitoring, eviction, cleanup."""

    core = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()
    index = providers.Singleton(make_index, core.settings)
    files = providers.Singleton(DiskResultFiles, core.settings.provided.CACHE_FILE_DIRECTORY)
    recorder = providers.Singleton(
        AccessRecorder,
        index,
        core.clock,
        flush_every=providers.Callable(
            lambda s: s.ACCESS_INDEX_FLUSH_INTERVAL / 1000, core.settings
        ),
        batch_size=core.settings.provided.ACCESS_INDEX_BATCH_SIZE,
        half_life=providers.Callable(
            lambda s: s.ACCESS_INDEX_HALF_LIFE_HOURS * 3600, core.settings
        ),
        metrics=core.metrics,
    )
    access_counter = providers.Singleton(IndexedAccessCounter, recorder, index)
    # The disk layer, built here once more so the indexed one can wrap it.
    plain_disk_cache = providers.Singleton(
        DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY
    )
    disk_cache = providers.Singleton(
        IndexedResultCache, plain_disk_cache, files, recorder, index, core.clock
    )
    measure = providers.Singleton(
        MeasureStorage,
        index,
        providers.Callable(
            lambda live: lambda: storage_thresholds(live.current), core.live_settings
        ),
        core.metrics,
    )
    evict = providers.Singleton(
        EvictResults,
        index=index,
        files=files,
        clock=core.clock,
        settings=providers.Callable(eviction_settings, core.live_settings),
        recorder=recorder,
        metrics=core.metrics,
    )
    clean_up = providers.Singleton(
        CleanUpStorage,
        index=index,
        files=files,
        clock=core.clock,
        retention=providers.Callable(
            lambda live: lambda: retention_policy(live.current), core.live_settings
        ),
        recorder=recorder,
        metrics=core.metrics,
    )
    reconcile = providers.Singleton(
        ReconcileIndex,
        index=index,
        files=files,
        clock=core.clock,
        half_life=providers.Callable(
            lambda s: s.ACCESS_INDEX_HALF_LIFE_HOURS * 3600, core.settings
        ),
        recorder=recorder,
    )
    usage_indicator = providers.Singleton(StorageUsageIndicator, measure)
    index_indicator = providers.Singleton(
        AccessIndexIndicator,
        index,
        providers.Callable(lambda recorder: lambda: recorder.pending, recorder),
    )


def wire_storage(container: Container) -> None:
    """Route access counts, disk writes and warming through the index, and add the storage
    health indicators (nothing happens with ACCESS_INDEX_ENABLED=false)."""
    settings = container.settings()
    if not settings.ACCESS_INDEX_ENABLED:
        return
    storage = container.storage
    container.adapters.access_counter.override(storage.access_counter)
    container.adapters.disk_cache.override(storage.disk_cache)
    indicators = container.operations.health_indicators
    assert isinstance(indicators, providers.List)
    indicators.add_args(storage.usage_indicator, storage.index_indicator)


async def open_index(container: Container) -> None:
    """Bring the embedded SQLite index to the latest schema (others: `media-stream db
    upgrade`; a schema behind is logged, and the index reports itself unavailable)."""
    settings = container.settings()
    migrations = Migrations(container.storage.index().engine)
    if settings.access_index_embedded:
        await asyncio.to_thread(migrations.upgrade)
        return
    current = await asyncio.to_thread(migrations.current)
    if current != Migrations.head():
        log.error(
            "the access index is at revision %s, not %s: run `media-stream db upgrade`",
            current,
            Migrations.head(),
        )


def schema_revision(settings: Settings, *, upgrade: bool = False) -> tuple[str | None, str]:
    """The index's revision and the latest one, after upgrading with `upgrade`; raises
    `AccessIndexUnavailable` when the database cannot be reached."""
    index = make_index(settings)
    migrations = Migrations(index.engine)
    try:
        if upgrade:
            migrations.upgrade()
        return migrations.current(), Migrations.head()
    except SQLAlchemyError as exc:
        raise AccessIndexUnavailable(f"the access index failed: {exc}") from exc
    finally:
        index.engine.dispose()


async def close_storage(container: Container) -> None:
    """Write the pending batch and close the index (an engine never used has nothing open)."""
    if not container.settings().ACCESS_INDEX_ENABLED:
        return
    await container.storage.recorder().stop()
    await container.storage.index().close()


def install_storage_upkeep(app: Litestar, container: Container) -> None:
    """Start the upkeep with `app`; stop it before the container closes."""
    upkeep = StorageUpkeep(container)
    app.on_startup.append(upkeep.start)
    app.on_shutdown.append(upkeep.stop)  # shutdown hooks run last-added first


class StorageUpkeep:
    """With the HTTP app: migrate the embedded index, write batches in the background, check
    the thresholds every STORAGE_CHECK_INTERVAL (evicting past one), and clean up at each
    STORAGE_CLEANUP_CRON time (STORAGE_CLEANUP_ENABLED, STORAGE_CLEANUP_DRY_RUN)."""

    def __init__(self, container: Container) -> None:
        self._container = container
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self._container.settings()
        if not settings.ACCESS_INDEX_ENABLED:
            return
        try:
            await open_index(self._container)
        except Exception:
            log.exception("the access index could not be opened; storage management is off")
            return
        storage = self._container.storage
        await storage.recorder().start()
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

    def _spawn(self, work: Awaitable[None]) -> None:
        self._tasks.append(asyncio.ensure_future(work))

    async def _every(
        self, pause: Callable[[], float], work: Callable[[], Awaitable[object]]
    ) -> None:
        while True:
            await asyncio.sleep(pause())
            try:
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
