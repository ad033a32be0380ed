"""Performance watch: rolling percentiles per phase, and alerts when a phase degrades.

The HTTP layer feeds every answered image request's phase timings (`fetch`, `transform`, ...,
and `total`) into `observe`. A periodic `evaluate` computes p50/p95/p99 over the last
`window_seconds` and compares each phase's p95 with two limits:

- the node's own baseline: a slow moving average of that phase's p95, learnt while the phase
  is healthy, times `degradation_factor` (never below `FLOOR_SECONDS`, so a phase that takes
  microseconds does not alert on noise);
- a fixed threshold for the phase, when one is configured.

A phase with at least `min_samples` samples above either limit raises an alert: a warning log
line, `Metrics.performance_alert(active=True)` and a `warn` on `/health` (through
`PerformanceIndicator`). It clears once p95 falls below `HYSTERESIS` times the limit, or the
window holds too few samples to judge.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from application.ports.clock import Clock
from application.ports.health import HealthIndicator, HealthReport, HealthStatus
from application.ports.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PerformanceLimits:
    """What counts as degraded; read again at every evaluation, so it can be reloaded."""

    window_seconds: float = 300.0
    min_samples: int = 50
    degradation_factor: float = 2.0  # 0 switches the baseline rule off
    thresholds: Mapping[str, float] = field(default_factory=dict)  # phase -> p95 seconds


@dataclass(frozen=True, slots=True)
class PhaseFigures:
    """One phase over the window: sample count, percentiles, baseline and alert state."""

    phase: str
    samples: int
    p50: float
    p95: float
    p99: float
    baseline_p95: float | None
    limit: float | None
    degraded: bool


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class PerformanceWatch:
    """Rolling p50/p95/p99 per phase, a learnt baseline, and degradation alerts."""

    BASELINE_WEIGHT = 0.05  # share of a new healthy p95 folded into the baseline per evaluation
    HYSTERESIS = 0.8
    FLOOR_SECONDS = 0.005
    MAX_SAMPLES = 4096  # per phase, whatever the window

    def __init__(
        self, *, limits: Callable[[], PerformanceLimits], clock: Clock, metrics: Metrics
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._metrics = metrics
        self._samples: dict[str, deque[tuple[float, float]]] = {}
        self._baselines: dict[str, float] = {}
        self._degraded: set[str] = set()

    def observe(self, phase: str, seconds: float) -> None:
        """Add one sample of `phase` taking `seconds`."""
        self._add(phase, seconds, self._clock.now())

    def observe_request(self, phases: Iterable[tuple[str, float]], total: float) -> None:
        """Add the samples of one request: each of its `phases`, then `total` (one clock
        reading for all of them: they end together)."""
        now = self._clock.now()
        for phase, seconds in phases:
            self._add(phase, seconds, now)
        self._add("total", total, now)

    def _add(self, phase: str, seconds: float, now: float) -> None:
        samples = self._samples.get(phase)
        if samples is None:
            samples = self._samples[phase] = deque(maxlen=self.MAX_SAMPLES)
        samples.append((now, seconds))

    def figures(self) -> list[PhaseFigures]:
        """Every phase's figures over the current window, without changing any state."""
        limits = self._limits()
        cutoff = self._clock.now() - limits.window_seconds
        return [self._figures_of(phase, cutoff, limits) for phase in sorted(self._samples)]

    @property
    def degraded(self) -> list[str]:
        """Phases with a raised alert, sorted."""
        return sorted(self._degraded)

    def evaluate(self) -> list[PhaseFigures]:
        """Drop samples older than the window, raise or clear alerts, learn the baselines."""
        limits = self._limits()
        cutoff = self._clock.now() - limits.window_seconds
        for samples in self._samples.values():
            while samples and samples[0][0] < cutoff:
                samples.popleft()
        figures = [self._figures_of(phase, cutoff, limits) for phase in sorted(self._samples)]
        for figure in figures:
            self._judge(figure, limits)
        return self.figures()

    async def run(self, interval: Callable[[], float]) -> None:
        """Evaluate every `interval()` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval())
            try:
                self.evaluate()
            except Exception:
                log.exception("performance evaluation failed")

    def _figures_of(self, phase: str, cutoff: float, limits: PerformanceLimits) -> PhaseFigures:
        ordered = sorted(seconds for at, seconds in self._samples[phase] if at >= cutoff)
        baseline = self._baselines.get(phase)
        return PhaseFigures(
            phase=phase,
            samples=len(ordered),
            p50=percentile(ordered, 0.50),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            baseline_p95=baseline,
            limit=self._limit(phase, baseline, limits),
            degraded=phase in self._degraded,
        )

    def _limit(self, phase: str, baseline: float | None, limits: PerformanceLimits) -> float | None:
        candidates = []
        if baseline is not None and limits.degradation_factor > 0:
            candidates.append(max(baseline * limits.degradation_factor, self.FLOOR_SECONDS))
        if phase in limits.thresholds:
            candidates.append(limits.thresholds[phase])
        return min(candidates, default=None)

    def _judge(self, figure: PhaseFigures, limits: PerformanceLimits) -> None:
        enough = figure.samples >= limits.min_samples
        over = enough and figure.limit is not None and figure.p95 > figure.limit
        if over and not figure.degraded:
            self._raise(figure)
        elif figure.degraded and (
            not enough or figure.limit is None or figure.p95 < figure.limit * self.HYSTERESIS
        ):
            self._clear(figure)
        if enough and not over and figure.phase not in self._degraded:
            self._learn(figure.phase, figure.p95)

    def _learn(self, phase: str, p95: float) -> None:
        baseline = self._baselines.get(phase)
        self._baselines[phase] = (
            p95 if baseline is None else baseline + self.BASELINE_WEIGHT * (p95 - baseline)
        )

    def _raise(self, figure: PhaseFigures) -> None:
        self._degraded.add(figure.phase)
        self._metrics.performance_alert(phase=figure.phase, active=True)
        log.warning(
            "performance degraded: %s p95 %.1f ms over its limit %.1f ms (baseline %s, %d samples)",
            figure.phase,
            figure.p95 * 1000,
            (figure.limit or 0.0) * 1000,
            "none" if figure.baseline_p95 is None else f"{figure.baseline_p95 * 1000:.1f} ms",
            figure.samples,
            extra={"phase": figure.phase, "p95Ms": round(figure.p95 * 1000, 1)},
        )

    def _clear(self, figure: PhaseFigures) -> None:
        self._degraded.discard(figure.phase)
        self._metrics.performance_alert(phase=figure.phase, active=False)
        log.info(
            "performance recovered: %s p95 %.1f ms (%d samples)",
            figure.phase,
            figure.p95 * 1000,
            figure.samples,
            extra={"phase": figure.phase, "p95Ms": round(figure.p95 * 1000, 1)},
        )


class PerformanceIndicator(HealthIndicator):
    """`performance`: `warn` while the watch holds an alert on any phase, with the p95s."""

    def __init__(self, watch: PerformanceWatch) -> None:
        self._watch = watch

    @property
    def name(self) -> str:
        return "performance"

    async def check(self) -> HealthReport:
        degraded = self._watch.degraded
        details: dict[str, str | float] = {"degraded": ",".join(degraded)}
        for figure in self._watch.figures():
            details[f"{figure.phase}P95Ms"] = round(figure.p95 * 1000, 1)
        return HealthReport(HealthStatus.WARN if degraded else HealthStatus.UP, details)
