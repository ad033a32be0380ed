"""The composition root: the one place that picks concrete adapters and wires the use cases.

HTTP, CLI and tests all build a `Container`; tests swap adapters with `provider.override(...)`.
Nothing here connects or reads the environment until a provider is called.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dependency_injector import containers, providers

from adapters.disk import DiskResultCache
from adapters.httpx import HttpxOriginFetcher
from adapters.localdir import LocalDirectoryOriginFetcher
from adapters.memory import MemoryResultCache, SystemClock
from adapters.pillow import PillowImageProcessor
from application.ports.origin_fetcher import OriginFetcher
from application.serve_image import ServeImage
from application.tiered_cache import TieredResultCache
from domain.policy import HostAllowList
from entrypoints.settings import Settings

STATIC_DIRECTORY = Path(__file__).resolve().parent / "http" / "static"
FALLBACK_IMAGE = STATIC_DIRECTORY / "default.png"


def make_origin(settings: Settings) -> OriginFetcher:
    """A local-directory origin for file:// BACKEND_URLs, else the pooled HTTP one."""
    directory = settings.backend_directory
    if directory is not None:
        return LocalDirectoryOriginFetcher(directory, max_bytes=settings.MAX_SOURCE_BYTES)
    return HttpxOriginFetcher(
        settings.BACKEND_URL,
        connect_timeout=settings.HTTP_CONNECT_TIMEOUT / 1000,
        read_timeout=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
        total_timeout=settings.EXTERNAL_REQUEST_TIMEOUT / 1000,
        max_bytes=settings.MAX_SOURCE_BYTES,
        max_connections=settings.HTTP_POOL_MAX_SOCKETS,
    )


class Core(containers.DeclarativeContainer):
    """Settings and the process-wide resources built from them."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    image_pool = providers.Singleton(
        ThreadPoolExecutor,
        max_workers=settings.provided.IMAGE_WORKER_THREADS,
        thread_name_prefix="pillow",
    )


class Adapters(containers.DeclarativeContainer):
    """Concrete implementations of the ports."""

    core = providers.DependenciesContainer()
    origin = providers.Singleton(make_origin, core.settings)
    processor = providers.Singleton(
        PillowImageProcessor,
        core.image_pool,
        max_source_pixels=core.settings.provided.MAX_SOURCE_PIXELS,
        max_frames=core.settings.provided.MAX_ANIMATION_FRAMES,
    )
    memory_cache = providers.Singleton(
        MemoryResultCache,
        max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
        max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
    )
    disk_cache = providers.Singleton(DiskResultCache, core.settings.provided.CACHE_FILE_DIRECTORY)
    result_cache = providers.Singleton(TieredResultCache, providers.List(memory_cache, disk_cache))


class UseCases(containers.DeclarativeContainer):
    """The application's use cases, wired to the adapters."""

    core = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()
    allowed_hosts = providers.Singleton(
        lambda settings: HostAllowList.of(settings.allowed_domains), core.settings
    )
    serve_image = providers.Singleton(
        ServeImage,
        cache=adapters.result_cache,
        origin=adapters.origin,
        processor=adapters.processor,
        clock=core.clock,
        allowed_hosts=allowed_hosts,
        fallback_original=providers.Callable(FALLBACK_IMAGE.read_bytes),
    )


class Container(containers.DeclarativeContainer):
    """Everything the service is made of, for one settings object."""

    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    adapters = providers.Container(Adapters, core=core)
    use_cases = providers.Container(UseCases, core=core, adapters=adapters)


def build_container(settings: Settings) -> Container:
    """A container for `settings`; call providers to build (and then `close_container`)."""
    return Container(settings=providers.Object(settings))


async def close_container(container: Container) -> None:
    """Release what the container built: pooled clients, the image pool, pending cache copies."""
    await container.adapters.result_cache().drain()
    await container.adapters.origin().close()
    await container.adapters.processor().close()
    container.core.image_pool().shutdown(wait=False, cancel_futures=True)
