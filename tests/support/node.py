"""The one way tests build a node: the real container, with in-memory parts swapped in.

`node(...)` answers a `Container` built from `Settings` (a private cache directory, one render
thread) with any of the parts below replaced. HTTP tests hand it
to `make_app`/`make_litestar`, which open it when the app starts; use-case tests call
`opened(container, provider, ...)` to open what those providers need on an event loop.
"""

from __future__ import annotations

import asyncio
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dependency_injector import providers

from adapters.memory import (
    MemoryAccessCounter,
    MemoryFlushBroadcast,
    MemoryNegativeCache,
    MemoryResultCache,
    MemoryWorkLeases,
    SystemClock,
)
from application.ports.clock import Clock
from application.ports.image_processor import ImageProcessor
from application.ports.load_gauge import LoadGauge
from application.ports.metrics import Metrics
from application.ports.origin_fetcher import OriginFetcher
from application.tiered_cache import TieredResultCache
from domain.result import CacheLayer
from entrypoints.composition import Container, build_container, open_container
from entrypoints.settings import Settings


@dataclass
class SharedStandIns:
    """What several nodes of one cluster share, in memory: the stand-ins for Redis."""

    clock: Clock = field(default_factory=SystemClock)
    layer: MemoryResultCache = field(
        default_factory=lambda: MemoryResultCache(
            max_bytes=1 << 20, max_keys=100, layer=CacheLayer.REDIS
        )
    )
    leases: MemoryWorkLeases | None = None
    missing: MemoryNegativeCache | None = None
    access: MemoryAccessCounter = field(default_factory=MemoryAccessCounter)
    broadcast: MemoryFlushBroadcast = field(default_factory=MemoryFlushBroadcast)

    def __post_init__(self) -> None:
        self.leases = self.leases or MemoryWorkLeases(self.clock)
        self.missing = self.missing or MemoryNegativeCache(self.clock)


def node(
    cache_directory: Path | None = None,
    *,
    origin: OriginFetcher | None = None,
    processor: ImageProcessor | None = None,
    result_cache: TieredResultCache | None = None,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
    load_gauge: LoadGauge | None = None,
    fallback: bytes | None = None,
    shared: SharedStandIns | None = None,
    loaded: Settings | None = None,
    **settings: object,
) -> Container:
    """A container as the service builds it, with the given parts in place of the real ones.

    `loaded` is a `Settings` read as the service reads them (`load_settings`: environment and
    env file), taken as they are; otherwise they are made from `settings`."""
    if loaded is None:
        directory = cache_directory or Path(tempfile.mkdtemp(prefix="media-stream-test-"))
        values: dict[str, object] = {
            "CACHE_FILE_DIRECTORY": directory,
            "IMAGE_WORKER_THREADS": 1,
        }
        values.update(settings)
        loaded = Settings(**values)  # type: ignore[arg-type]
    container = build_container(loaded)
    swaps: list[tuple[providers.Provider[object], object | None]] = [
        (container.origin.built_fetcher, origin),
        (container.imaging.processor, processor),
        (container.imaging.built_result_cache, result_cache),
        (container.core.clock, clock),
        (container.core.metrics, metrics),
        (container.http.built_load_gauge, load_gauge),
        (container.imaging.fallback_original, fallback),
    ]
    if shared is not None:
        swaps += [
            (container.shared.result_cache, shared.layer),
            (container.shared.work_leases, shared.leases),
            (container.shared.negative_cache, shared.missing),
            (container.shared.access_counter, shared.access),
            (container.shared.flush_broadcast, shared.broadcast),
        ]
    for provider, part in swaps:
        if part is not None:
            provider.override(providers.Object(part))
    return container


def opened(container: Container, *wanted: providers.Provider[object]) -> Container:
    """`container` with the resources `wanted` needs opened, on a loop of its own (in a thread
    of its own when called from a coroutine: the in-memory parts are bound to no loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(open_container(container, wanted))
        return container
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, open_container(container, wanted)).result()
    return container
