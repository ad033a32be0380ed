"""The performance watch (percentiles, baseline, alerts) and the resource sampler."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters.memory import FixedClock
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.system import FixedDiskSpace, FixedProcessStats
from application.monitoring import Monitoring
from application.performance import (
    PerformanceIndicator,
    PerformanceLimits,
    PerformanceWatch,
    percentile,
)
from application.ports.health import HealthStatus
from application.ports.process_stats import ProcessSnapshot
from application.resources import ResourceSampler

LIMITS = PerformanceLimits(window_seconds=60, min_samples=20, degradation_factor=2.0)


class Watched:
    """A watch on a fixed clock, with its metrics and settable limits."""

    def __init__(self, limits: PerformanceLimits = LIMITS) -> None:
        self.limits = limits
        self.clock = FixedClock(1_000.0)
        self.metrics = MemoryMetrics()
        self.watch = PerformanceWatch(
            limits=lambda: self.limits, clock=self.clock, metrics=self.metrics
        )

    def feed(self, phase: str, seconds: float, count: int = 40) -> None:
        for _ in range(count):
            self.watch.observe(phase, seconds)
            self.clock.advance(0.1)

    def degraded_gauge(self, phase: str) -> float:
        return self.metrics.value("mediastream_performance_degraded", phase=phase)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_figures_are_rolling_per_phase() -> None:
    watched = Watched()
    watched.feed("fetch", 0.010, count=19)
    watched.feed("fetch", 0.500, count=1)
    watched.feed("encode", 0.002)

    figures = {figure.phase: figure for figure in watched.watch.figures()}

    assert figures["fetch"].samples == 20
    assert figures["fetch"].p50 == 0.010
    assert figures["fetch"].p95 == 0.010
    assert figures["fetch"].p99 == 0.500
    assert figures["encode"].p95 == 0.002


def test_a_phase_that_slows_against_its_baseline_raises_then_clears_an_alert(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watched = Watched()
    watched.feed("fetch", 0.050)
    watched.watch.evaluate()  # learns the baseline: p95 50 ms
    caplog.set_level(logging.INFO, logger="application.performance")

    watched.clock.advance(61)  # the healthy samples leave the window
    watched.feed("fetch", 0.200)
    raised = {figure.phase: figure for figure in watched.watch.evaluate()}

    assert raised["fetch"].degraded
    assert raised["fetch"].baseline_p95 == pytest.approx(0.050)
    assert raised["fetch"].limit == pytest.approx(0.100)
    assert watched.watch.degraded == ["fetch"]
    assert watched.degraded_gauge("fetch") == 1
    assert watched.metrics.value("mediastream_performance_alerts_total", phase="fetch") == 1
    assert any(
        r.levelno == logging.WARNING and "performance degraded: fetch" in r.getMessage()
        for r in caplog.records
    )

    watched.watch.evaluate()  # still slow: no second alert
    assert watched.metrics.value("mediastream_performance_alerts_total", phase="fetch") == 1

    watched.clock.advance(61)
    watched.feed("fetch", 0.060)
    watched.watch.evaluate()

    assert watched.watch.degraded == []
    assert watched.degraded_gauge("fetch") == 0
    assert any("performance recovered: fetch" in r.getMessage() for r in caplog.records)


def test_a_slow_baseline_is_not_learnt_while_degraded() -> None:
    watched = Watched()
    watched.feed("fetch", 0.050)
    watched.watch.evaluate()
    watched.clock.advance(61)
    watched.feed("fetch", 0.400)
    for _ in range(50):
        watched.watch.evaluate()

    [figure] = watched.watch.figures()
    assert figure.baseline_p95 == pytest.approx(0.050)
    assert figure.degraded


def test_a_fixed_threshold_alerts_without_any_baseline() -> None:
    watched = Watched(
        PerformanceLimits(window_seconds=60, min_samples=20, thresholds={"total": 1.0})
    )
    watched.feed("total", 1.5)

    [figure] = watched.watch.evaluate()

    assert figure.degraded
    assert figure.limit == 1.0


def test_too_few_samples_never_alert_and_an_emptied_window_clears() -> None:
    watched = Watched(
        PerformanceLimits(window_seconds=60, min_samples=20, thresholds={"total": 1.0})
    )
    watched.feed("total", 5.0, count=19)
    assert not watched.watch.evaluate()[0].degraded

    watched.feed("total", 5.0, count=1)
    assert watched.watch.evaluate()[0].degraded

    watched.clock.advance(120)  # traffic stops: nothing left to judge
    [figure] = watched.watch.evaluate()
    assert (figure.samples, figure.degraded) == (0, False)


def test_a_noise_floor_keeps_microsecond_phases_quiet() -> None:
    watched = Watched()
    watched.feed("cache", 0.0001)
    watched.watch.evaluate()
    watched.clock.advance(61)
    watched.feed("cache", 0.001)  # ten times slower, still far below 5 ms

    assert not watched.watch.evaluate()[0].degraded


def test_limits_are_read_again_at_each_evaluation() -> None:
    watched = Watched(PerformanceLimits(window_seconds=60, min_samples=20))
    watched.feed("total", 0.8)
    assert not watched.watch.evaluate()[0].degraded

    watched.limits = PerformanceLimits(window_seconds=60, min_samples=20, thresholds={"total": 0.5})

    assert watched.watch.evaluate()[0].degraded


def test_the_health_indicator_warns_while_an_alert_is_raised() -> None:
    watched = Watched(
        PerformanceLimits(window_seconds=60, min_samples=1, thresholds={"fetch": 0.1})
    )
    indicator = PerformanceIndicator(watched.watch)
    watched.feed("fetch", 0.3, count=5)

    before = asyncio.run(indicator.check())
    watched.watch.evaluate()
    after = asyncio.run(indicator.check())

    assert before.status is HealthStatus.UP
    assert after.status is HealthStatus.WARN
    assert after.details == {"degraded": "fetch", "fetchP95Ms": 300.0}


# -- resources --------------------------------------------------------------------------------


def snapshot(cpu_seconds: float, rss: int = 100) -> ProcessSnapshot:
    return ProcessSnapshot(
        rss_bytes=rss,
        virtual_bytes=400,
        memory_limit_bytes=1000,
        cpu_seconds=cpu_seconds,
        threads=3,
    )


def test_the_sampler_reports_cpu_as_a_share_of_the_interval(tmp_path: Path) -> None:
    now = [10.0]
    process = FixedProcessStats(snapshot(cpu_seconds=5.0))
    metrics = MemoryMetrics()
    sampler = ResourceSampler(
        process=process,
        disk=FixedDiskSpace(total=1000, free=250),
        directory=tmp_path,
        metrics=metrics,
        monotonic=lambda: now[0],
    )

    now[0] = 12.0
    process.set(snapshot(cpu_seconds=6.5, rss=300))
    sample = asyncio.run(sampler.sample(loop_lag=0.004))

    assert sample.cpu_percent == pytest.approx(75.0)  # 1.5 s of CPU in 2 s
    assert sample.uptime_seconds == pytest.approx(2.0)
    assert sampler.latest == sample
    assert metrics.value("mediastream_cpu_usage_percent") == pytest.approx(75.0)
    assert metrics.value("mediastream_memory_usage_bytes", type="rss") == 300
    assert metrics.value("mediastream_disk_space_usage_bytes", type="used") == 750
    assert metrics.value("mediastream_event_loop_lag_seconds") == 0.004
    assert metrics.value("mediastream_uptime_seconds") == pytest.approx(2.0)


def test_monitoring_samples_and_evaluates_until_stopped(tmp_path: Path) -> None:
    metrics = MemoryMetrics()
    sampler = ResourceSampler(
        process=FixedProcessStats(), disk=FixedDiskSpace(), directory=tmp_path, metrics=metrics
    )
    watched = Watched(
        PerformanceLimits(window_seconds=60, min_samples=1, thresholds={"total": 0.1})
    )
    watched.feed("total", 1.0, count=3)
    monitoring = Monitoring(sampler, watched.watch, interval=lambda: 0.01)

    async def for_a_while() -> None:
        await monitoring.start()
        await asyncio.sleep(0.1)
        await monitoring.stop()

    asyncio.run(for_a_while())

    assert sampler.latest is not None
    assert metrics.value("mediastream_memory_usage_bytes", type="rss") == 100 * 2**20
    assert watched.watch.degraded == ["total"]
