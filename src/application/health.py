"""Use case: ask every health indicator at once and summarise what they found."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from application.ports.health import HealthIndicator, HealthReport, HealthStatus

log = logging.getLogger(__name__)

_SEVERITY = {HealthStatus.UP: 0, HealthStatus.WARN: 1, HealthStatus.DOWN: 2}


@dataclass(frozen=True, slots=True)
class HealthSummary:
    """The worst status of all indicators, and each indicator's own report, by name."""

    status: HealthStatus
    checks: Mapping[str, HealthReport]


def worst(statuses: Sequence[HealthStatus]) -> HealthStatus:
    """`down` over `warn` over `up`; `up` when there is nothing to judge."""
    return max(statuses, key=_SEVERITY.__getitem__, default=HealthStatus.UP)


class CheckHealth:
    """Runs every indicator concurrently, each bounded by `timeout()` seconds.

    An indicator that raises or runs out of time is reported `down` with the reason in its
    details, so one broken check never hides the others.
    """

    def __init__(self, indicators: Sequence[HealthIndicator], *, timeout: Callable[[], float]):
        names = [indicator.name for indicator in indicators]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"health indicator names must be unique: {duplicates}")
        self._indicators = list(indicators)
        self._timeout = timeout

    @property
    def names(self) -> list[str]:
        """The indicators' names, in registration order."""
        return [indicator.name for indicator in self._indicators]

    async def __call__(self) -> HealthSummary:
        limit = self._timeout()
        reports = await asyncio.gather(
            *(self._run(indicator, limit) for indicator in self._indicators)
        )
        checks = {
            indicator.name: report
            for indicator, report in zip(self._indicators, reports, strict=True)
        }
        return HealthSummary(worst([report.status for report in reports]), checks)

    @staticmethod
    async def _run(indicator: HealthIndicator, limit: float) -> HealthReport:
        try:
            async with asyncio.timeout(limit):
                return await indicator.check()
        except TimeoutError:
            log.warning("health indicator %s timed out after %.1fs", indicator.name, limit)
            return HealthReport(HealthStatus.DOWN, {"error": f"timed out after {limit:g}s"})
        except Exception as exc:
            log.exception("health indicator %s failed", indicator.name)
            return HealthReport(HealthStatus.DOWN, {"error": type(exc).__name__})
