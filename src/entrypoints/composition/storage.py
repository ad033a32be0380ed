"""Ring 7, storage: the access index and what it drives (ADR 22, 23): recording, monitoring,
eviction, cleanup, reconcile.

With ACCESS_INDEX_ENABLED (`wire_storage`, called once by `build_container`) the node's access
counts and disk writes go through the index and its health indicators join the others; the
index and the batch recorder are resources, opened before the image tiers that write to them
and closed after (the last batch is written before the index closes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from dependency_injector import containers, providers
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
from entrypoints.composition.resources import running
from entrypoints.settings import LiveSettings, Settings
from entrypoints.settings.storage import eviction_policy, retention_policy, storage_thresholds

if TYPE_CHECKING:
    from entrypoints.composition import Container

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


async def opened_index(settings: Settings) -> AsyncIterator[SqlAccessIndex]:
    """The index, its schema checked (the embedded one migrated), closed last."""
    index = await asyncio.to_thread(make_index, settings)
    try:
        await check_schema(index, settings)
        yield index
    finally:
        await index.close()


async def check_schema(index: SqlAccessIndex, settings: Settings) -> None:
    """A shared index behind the latest revision is logged (`media-stream db upgrade`); the
    index then reports itself unavailable rather than failing requests."""
    if settings.access_index_embedded:
        return
    try:
        current = await asyncio.to_thread(Migrations(index.engine).current)
    except SQLAlchemyError:
        log.exception("the access index cannot be reached; storage management waits for it")
        return
    if current != Migrations.head():
        log.error(
            "the access index is at revision %s, not %s: run `media-stream db upgrade`",
            current,
            Migrations.head(),
        )


class Storage(containers.DeclarativeContainer):
    """The access index and what it drives: recording, monitoring, eviction, cleanup."""

    core = providers.DependenciesContainer()
    index = providers.Resource(opened_index, core.settings)
    files = providers.Singleton(DiskResultFiles, core.settings.provided.CACHE_FILE_DIRECTORY)
    built_recorder = providers.Singleton(
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
    # counts and stores are written in batches from a background task while the node runs
    recorder = providers.Resource(running, built_recorder, True)
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
    health indicators; with ACCESS_INDEX_ENABLED=false the index is never opened."""
    storage = container.storage
    if not container.settings().ACCESS_INDEX_ENABLED:
        storage.index.override(providers.Object(None))
        storage.recorder.override(providers.Object(None))
        return
    container.shared.access_counter.override(storage.access_counter)
    container.imaging.disk_cache.override(storage.disk_cache)
    indicators = container.operations.health_indicators
    assert isinstance(indicators, providers.List)
    indicators.add_args(storage.usage_indicator, storage.index_indicator)
    container.operations.storage_measure.override(storage.measure)


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
