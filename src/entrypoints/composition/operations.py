"""Ring 6, operations: health, the performance watch, resource sampling and monitoring."""

from __future__ import annotations

from collections.abc import Callable

from dependency_injector import containers, providers

from adapters.memory.health import MemoryResultCacheIndicator
from adapters.memory.result_cache import MemoryResultCache
from adapters.pillow.health import PillowCodecsIndicator
from adapters.system import ProcfsProcessStats, StatvfsDiskSpace, WritableDirectoryIndicator
from application.breaker_health import OriginBreakerIndicator
from application.cache_figures import MemoryFigures, ReportCacheFigures
from application.cache_health import CacheLayersIndicator
from application.health import CheckHealth
from application.health_indicators import DiskSpaceIndicator, MemoryIndicator, UsageLimits
from application.monitoring import Monitoring
from application.performance import PerformanceIndicator, PerformanceLimits, PerformanceWatch
from application.ports.health import HealthIndicator
from application.resources import ResourceSampler
from application.storage_usage import MeasureStorage
from entrypoints.composition.resources import running
from entrypoints.settings import LiveSettings


def disk_limits(live: LiveSettings) -> Callable[[], UsageLimits]:
    """The disk indicator's thresholds, read from the settings in force at each check."""
    return lambda: UsageLimits(
        live.current.HEALTH_DISK_WARN_PERCENT, live.current.HEALTH_DISK_DOWN_PERCENT
    )


def memory_limits(live: LiveSettings) -> Callable[[], UsageLimits]:
    """The memory indicator's thresholds, read from the settings in force at each check."""
    return lambda: UsageLimits(
        live.current.HEALTH_MEMORY_WARN_PERCENT, live.current.HEALTH_MEMORY_DOWN_PERCENT
    )


def performance_limits(live: LiveSettings) -> Callable[[], PerformanceLimits]:
    """The performance watch's limits, read from the settings in force at each evaluation."""

    def limits() -> PerformanceLimits:
        settings = live.current
        return PerformanceLimits(
            window_seconds=settings.PERFORMANCE_WINDOW,
            min_samples=settings.PERFORMANCE_MIN_SAMPLES,
            degradation_factor=settings.PERFORMANCE_DEGRADATION_FACTOR,
            thresholds={
                phase: ms / 1000 for phase, ms in settings.PERFORMANCE_THRESHOLDS_MS.items()
            },
        )

    return limits


def milliseconds_of(live: LiveSettings, name: str) -> Callable[[], float]:
    """A setting in milliseconds, as seconds, read from the settings in force at each use."""
    return lambda: float(getattr(live.current, name)) / 1000


def memory_figures(cache: MemoryResultCache, max_bytes: int) -> Callable[[], MemoryFigures]:
    """What the memory tier holds, read at each call."""

    def figures() -> MemoryFigures:
        stats = cache.stats()
        return MemoryFigures(stats.size, stats.entries, max_bytes)

    return figures


def every_indicator(
    indicators: list[HealthIndicator], optional: list[HealthIndicator | None]
) -> list[HealthIndicator]:
    return [*indicators, *(indicator for indicator in optional if indicator is not None)]


class Operations(containers.DeclarativeContainer):
    """What runs the service in production: metrics, health, monitoring."""

    core = providers.DependenciesContainer()
    shared = providers.DependenciesContainer()
    origin = providers.DependenciesContainer()
    imaging = providers.DependenciesContainer()

    disk_space = providers.Singleton(StatvfsDiskSpace)
    process_stats = providers.Singleton(ProcfsProcessStats)
    performance_watch = providers.Singleton(
        PerformanceWatch,
        limits=providers.Callable(performance_limits, core.live_settings),
        clock=core.clock,
        metrics=core.metrics,
    )
    resource_sampler = providers.Singleton(
        ResourceSampler,
        process=process_stats,
        disk=disk_space,
        directory=core.settings.provided.CACHE_FILE_DIRECTORY,
        metrics=core.metrics,
    )
    monitoring = providers.Resource(
        running,
        providers.Singleton(
            Monitoring,
            resource_sampler,
            performance_watch,
            providers.Callable(milliseconds_of, core.live_settings, "MONITORING_INTERVAL"),
            providers.Callable(
                milliseconds_of, core.live_settings, "MONITORING_PERFORMANCE_INTERVAL"
            ),
        ),
        core.settings.provided.MONITORING_ENABLED,
    )
    # One line per indicator; other parts of the service register theirs here.
    health_indicators = providers.List(
        providers.Singleton(
            DiskSpaceIndicator,
            disk_space,
            core.settings.provided.CACHE_FILE_DIRECTORY,
            providers.Callable(disk_limits, core.live_settings),
        ),
        providers.Singleton(
            WritableDirectoryIndicator, core.settings.provided.CACHE_FILE_DIRECTORY
        ),
        providers.Singleton(
            MemoryIndicator, process_stats, providers.Callable(memory_limits, core.live_settings)
        ),
        providers.Singleton(
            MemoryResultCacheIndicator,
            imaging.memory_cache,
            max_bytes=core.settings.provided.CACHE_MEMORY_MAX_SIZE,
            max_keys=core.settings.provided.CACHE_MEMORY_MAX_KEYS,
            warn_percent=core.settings.provided.CACHE_MEMORY_WARNING_THRESHOLD,
        ),
        providers.Singleton(PillowCodecsIndicator),
        origin.indicator,
        providers.Singleton(PerformanceIndicator, performance_watch),
        providers.Singleton(CacheLayersIndicator, imaging.result_cache),
        providers.Singleton(OriginBreakerIndicator, origin.circuits),
        shared.indicator,
    )
    check_health = providers.Singleton(
        CheckHealth,
        providers.Callable(
            every_indicator, health_indicators, providers.List(origin.upstream_indicator)
        ),
        timeout=providers.Callable(milliseconds_of, core.live_settings, "HEALTH_CHECK_TIMEOUT"),
    )
    # the playground's status panel (ADR 29); wire_storage adds the disk's measure
    storage_measure: providers.Provider[MeasureStorage | None] = providers.Object(None)
    cache_figures = providers.Singleton(
        ReportCacheFigures,
        imaging.result_cache,
        providers.Callable(
            memory_figures, imaging.memory_cache, core.settings.provided.CACHE_MEMORY_MAX_SIZE
        ),
        storage_measure,
    )
