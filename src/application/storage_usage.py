"""Use case and health indicators: what the disk tier holds against STORAGE_* (ADR 23)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.errors import AccessIndexUnavailable
from application.ports.access_index import AccessIndex, UsageGroup
from application.ports.health import HealthIndicator, HealthReport, HealthStatus
from application.ports.metrics import NO_METRICS, Metrics
from domain.request import ResultKey
from domain.storage import Footprint, StorageLevel, StorageThresholds, StoredResult

PAGE = 1000


@dataclass(frozen=True, slots=True)
class StorageReport:
    """Totals, their level and problems, and the break-down by tenant and format."""

    used: Footprint
    level: StorageLevel
    problems: list[str]
    groups: list[UsageGroup]
    thresholds: StorageThresholds

    def by(self, field: str) -> dict[str, Footprint]:
        """Totals per `tenant` or per `format`."""
        totals: dict[str, Footprint] = {}
        for group in self.groups:
            name = getattr(group, field)
            seen = totals.get(name, Footprint())
            totals[name] = Footprint(seen.bytes + group.bytes, seen.files + group.files)
        return totals


class MeasureStorage:
    """Sum the index by tenant and format and weigh the total against the thresholds; the
    storage metrics are updated on each measure."""

    def __init__(
        self,
        index: AccessIndex,
        thresholds: Callable[[], StorageThresholds],
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._index = index
        self._thresholds = thresholds
        self._metrics = metrics

    async def __call__(self) -> StorageReport:
        groups = await self._index.usage()
        used = Footprint(sum(g.bytes for g in groups), sum(g.files for g in groups))
        thresholds = self._thresholds()
        level = thresholds.level(used)
        self._metrics.storage_usage(bytes=used.bytes, files=used.files, level=level.value)
        return StorageReport(used, level, thresholds.problems(used), groups, thresholds)


async def every_row(index: AccessIndex) -> list[StoredResult]:
    """All rows of `index`, read a page at a time."""
    rows: list[StoredResult] = []
    after: ResultKey | None = None
    while True:
        page = await index.page(after, PAGE)
        rows.extend(page)
        if len(page) < PAGE:
            return rows
        after = page[-1].key


class StorageUsageIndicator(HealthIndicator):
    """`storage_usage`: `up` below the warning thresholds, `warn` past one, `down` past a
    critical one (as the Node service's indicator), with the totals and thresholds; `warn`
    when the index cannot be read (the disk still serves)."""

    def __init__(self, measure: MeasureStorage) -> None:
        self._measure = measure

    @property
    def name(self) -> str:
        return "storage_usage"

    async def check(self) -> HealthReport:
        try:
            report = await self._measure()
        except AccessIndexUnavailable as exc:
            return HealthReport(HealthStatus.WARN, {"error": f"access index unavailable: {exc}"})
        limits = report.thresholds
        details: dict[str, bool | str | int | float] = {
            "level": report.level.value,
            "bytes": report.used.bytes,
            "files": report.used.files,
            "max_size": limits.max_size,
            "warning_size": limits.warning_size,
            "critical_size": limits.critical_size,
            "warning_file_count": limits.warning_files,
            "critical_file_count": limits.critical_files,
        }
        if report.problems:
            details["problems"] = "; ".join(report.problems)
        status = {
            StorageLevel.OK: HealthStatus.UP,
            StorageLevel.WARNING: HealthStatus.WARN,
            StorageLevel.CRITICAL: HealthStatus.DOWN,
        }[report.level]
        return HealthReport(status, details)


class AccessIndexIndicator(HealthIndicator):
    """`access_index`: `up` when the index answers, `warn` when not (serving goes on; counts
    wait in memory), with how many keys are waiting."""

    def __init__(self, index: AccessIndex, pending: Callable[[], int]) -> None:
        self._index = index
        self._pending = pending

    @property
    def name(self) -> str:
        return "access_index"

    async def check(self) -> HealthReport:
        try:
            await self._index.top(1)
        except AccessIndexUnavailable as exc:
            return HealthReport(HealthStatus.WARN, {"error": str(exc), "pending": self._pending()})
        return HealthReport(HealthStatus.UP, {"pending": self._pending()})
