"""Ring 1, core: the settings, the clock, the node's lifecycle and its metrics."""

from __future__ import annotations

from collections.abc import Iterator

from dependency_injector import containers, providers

from adapters.memory import SystemClock
from adapters.prometheus import PrometheusMetrics
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import LiveSettings, Settings


def process_metrics() -> Iterator[PrometheusMetrics]:
    """What the service records for dashboards (ADR 11), one store per process."""
    metrics = PrometheusMetrics.from_environment()
    try:
        yield metrics
    finally:
        metrics.close()


class Core(containers.DeclarativeContainer):
    """Settings and what every other ring reads."""

    settings = providers.Dependency(instance_of=Settings)
    clock = providers.Singleton(SystemClock)
    live_settings = providers.Singleton(LiveSettings, settings)
    lifecycle = providers.Singleton(Lifecycle)
    metrics = providers.Resource(process_metrics)
