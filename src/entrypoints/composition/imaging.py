"""Ring 4, imaging: the renderer, the cache tiers of this node, and the use cases that serve,
flush and warm results."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from dependency_injector import containers, providers

from adapters.disk import DiskResultCache
from adapters.memory import MemoryNegativeCache, MemoryResultCache
from adapters.pillow import PillowImageProcessor, RenderProcesses, SourceLimits
from application.fetch_original import FetchOriginal
from application.flush_tenant import FlushTenant, ForgetFlushedTenants
from application.offload import Offload
from application.ports.image_processor import ImageProcessor
from application.ports.metrics import Metrics
from application.ports.origin_fetcher import Original
from application.ports.work_leases import WorkLeases
from application.render_gate import RenderGate
from application.serve_image import Outcome, ServeImage, SharedCaching
from application.shared_flight import SharedFlight
from application.single_flight import SingleFlight
from application.tiered_cache import TieredResultCache
from application.tiered_negative_cache import TieredNegativeCache
from application.warm_cache import WarmCache
from entrypoints.composition.resources import draining
from entrypoints.settings import Settings

log = logging.getLogger(__name__)
# how long opening the container waits for the render processes to start
PROCESS_START_SECONDS = 60

STATIC_DIRECTORY = Path(__file__).resolve().parent.parent / "http" / "static"
FALLBACK_IMAGE = STATIC_DIRECTORY / "default.png"


def source_limits(settings: Settings) -> SourceLimits:
    return SourceLimits(
        settings.MAX_SOURCE_PIXELS,
        settings.MAX_ANIMATION_FRAMES,
        settings.MAX_ANIMATION_PIXELS,
        settings.IMAGE_PROCESSING_TIMEOUT / 1000,
    )


def image_pool(settings: Settings) -> Iterator[Executor]:
    """Where renders run: IMAGE_RENDER_PROCESSES processes (ADR 21), or threads of this one."""
    pool: Executor
    if settings.IMAGE_RENDER_PROCESSES > 0:
        pool = RenderProcesses(settings.IMAGE_RENDER_PROCESSES, source_limits(settings))
    else:
        pool = ThreadPoolExecutor(
            max_workers=settings.IMAGE_WORKER_THREADS, thread_name_prefix="pillow"
        )
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def started(pool: Executor) -> AsyncIterator[Executor]:
    """`pool` once its render processes have started and imported the renderer: opened with
    the container, so before the node says it is ready, and a first request does not spend
    its render budget on a process starting up. Nothing to release."""
    if isinstance(pool, RenderProcesses):
        try:
            async with asyncio.timeout(PROCESS_START_SECONDS):
                await asyncio.gather(*(asyncio.wrap_future(f) for f in pool.warming))
        except TimeoutError:
            log.warning("render processes not started within %d s", PROCESS_START_SECONDS)
    yield pool


def render_gate(processor: ImageProcessor, settings: Settings, metrics: Metrics) -> RenderGate:
    """The processor behind a bounded queue and the processing time budget."""
    return RenderGate(
        processor,
        workers=settings.IMAGE_WORKER_THREADS,
        queue_max=settings.IMAGE_QUEUE_MAX,
        budget=settings.IMAGE_PROCESSING_TIMEOUT / 1000,
        metrics=metrics,
    )


def shared_flight(leases: WorkLeases, settings: Settings) -> SharedFlight[Outcome]:
    return SharedFlight(
        leases,
        lease_seconds=settings.CACHE_LEASE_TTL / 1000,
        max_wait=settings.CACHE_LEASE_MAX_WAIT / 1000,
    )


def present(*candidates: object) -> list[object]:
    """The candidates that exist (an unconfigured optional layer is None)."""
    return [candidate for candidate in candidates if candidate is not None]


class Imaging(containers.DeclarativeContainer):
    """Rendering and caching results; `serve_image` is what the image route calls."""

    core = providers.DependenciesContainer()
    shared = providers.DependenciesContainer()
    origin = providers.DependenciesContainer()

    pool = providers.Resource(image_pool, core.settings)
    pool_started = providers.Resource(started, pool)
    processor = providers.Singleton(
        PillowImageProcessor,
        pool,
        max_source_pixels=core.settings.provided.MAX_SOURCE_PIXELS,
        max_frames=core.settings.provided.MAX_ANIMATION_FRAMES,
        max_animation_pixels=core.settings.provided.MAX_ANIMATION_PIXELS,
        max_render_seconds=providers.Callable(
            lambda settings: settings.IMAGE_PROCESSING_TIMEOUT / 1000, core.settings
        ),
    )
    render_gate = providers.Singleton(render_gate, processor, core.settings, core.metrics)

    memory_cache = providers.Singleton(
        MemoryResultCache,
        max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
        max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
        ttl=core.settings.provided.CACHE_MEMORY_TTL,
    )
    disk_cache = providers.Singleton(DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY)
    # memory -> Redis (when shared) -> disk; copies to upper tiers finish before it closes
    built_result_cache = providers.Singleton(
        TieredResultCache,
        providers.Callable(present, memory_cache, shared.result_cache, disk_cache),
        core.metrics,
    )
    result_cache = providers.Resource(draining, built_result_cache)
    memory_negative_cache = providers.Singleton(MemoryNegativeCache, core.clock)
    negative_cache = providers.Singleton(
        TieredNegativeCache,
        providers.Callable(present, memory_negative_cache, shared.negative_cache),
    )

    fallback_original = providers.Callable(FALLBACK_IMAGE.read_bytes)
    # per origin path: the image and info routes share each original's fetch (ADR 24)
    original_fetches: providers.Singleton[SingleFlight[Original]] = providers.Singleton(
        SingleFlight
    )
    # heavy renders on the workers: set by `wire_jobs` when a broker is configured (ADR 27)
    offload: providers.Provider[Offload | None] = providers.Object(None)
    fetch_original = providers.Singleton(
        FetchOriginal, origin.fetcher, original_fetches, core.metrics
    )
    serve_image = providers.Singleton(
        ServeImage,
        cache=result_cache,
        originals=fetch_original,
        processor=render_gate,
        clock=core.clock,
        admission=origin.admission,
        fallback_original=fallback_original,
        shared=providers.Singleton(
            SharedCaching,
            flight=providers.Singleton(shared_flight, shared.work_leases, core.settings),
            missing=negative_cache,
            missing_seconds=core.settings.provided.CACHE_IMAGE_NEGATIVE_TTL,
            access=shared.access_counter,
        ),
        metrics=core.metrics,
        offload=offload,
    )

    # Flushes (ADR 8) and warming.
    flush_tenant = providers.Singleton(
        FlushTenant,
        cache=result_cache,
        missing=negative_cache,
        access=shared.access_counter,
        broadcast=shared.flush_broadcast,
    )
    forget_flushed_tenants = providers.Singleton(
        ForgetFlushedTenants,
        cache=result_cache,
        local_layers=providers.List(memory_cache, disk_cache),
        missing=negative_cache,
        local_missing=providers.List(memory_negative_cache),
        volatile=providers.List(memory_cache.provided.clear, memory_negative_cache.provided.clear),
    )
    warm_cache = providers.Singleton(
        WarmCache,
        cache=result_cache,
        access=shared.access_counter,
        top_n=core.settings.provided.CACHE_WARMING_TOP_N,
        min_accesses=core.settings.provided.CACHE_WARMING_THRESHOLD,
    )
