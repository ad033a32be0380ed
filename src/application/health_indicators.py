"""Health indicators that need nothing but ports: disk space, memory, the origin's settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from application.ports.disk_space import DiskSpace
from application.ports.health import HealthIndicator, HealthReport, HealthStatus
from application.ports.process_stats import ProcessStats
from domain.policy import HostPolicy


@dataclass(frozen=True, slots=True)
class UsageLimits:
    """Percentages of a resource in use at which its indicator turns `warn`, then `down`."""

    warn_percent: float
    down_percent: float

    def status_of(self, used_percent: float) -> HealthStatus:
        if used_percent >= self.down_percent:
            return HealthStatus.DOWN
        if used_percent >= self.warn_percent:
            return HealthStatus.WARN
        return HealthStatus.UP


class DiskSpaceIndicator(HealthIndicator):
    """`disk`: how full the file system of the cache directory is, against `limits()`."""

    def __init__(self, disk: DiskSpace, directory: Path, limits: Callable[[], UsageLimits]):
        self._disk = disk
        self._directory = directory
        self._limits = limits

    @property
    def name(self) -> str:
        return "disk"

    async def check(self) -> HealthReport:
        usage = await self._disk.usage(self._directory)
        limits = self._limits()
        return HealthReport(
            limits.status_of(usage.used_percent),
            {
                "totalBytes": usage.total,
                "usedBytes": usage.used,
                "freeBytes": usage.free,
                "usedPercent": round(usage.used_percent, 2),
                "warnPercent": limits.warn_percent,
                "downPercent": limits.down_percent,
            },
        )


class MemoryIndicator(HealthIndicator):
    """`memory`: the process's resident memory against its limit (cgroup or machine)."""

    def __init__(self, process: ProcessStats, limits: Callable[[], UsageLimits]):
        self._process = process
        self._limits = limits

    @property
    def name(self) -> str:
        return "memory"

    async def check(self) -> HealthReport:
        snapshot = self._process.snapshot()
        limits = self._limits()
        return HealthReport(
            limits.status_of(snapshot.memory_percent),
            {
                "rssBytes": snapshot.rss_bytes,
                "limitBytes": snapshot.memory_limit_bytes,
                "usedPercent": round(snapshot.memory_percent, 2),
                "warnPercent": limits.warn_percent,
                "downPercent": limits.down_percent,
            },
        )


class ConfiguredOriginIndicator(HealthIndicator):
    """`origin` of an HTTP origin: configured and allowed by the allow-list (nothing fetched).

    Whether the origin answers is the circuit breaker's business, reported by its own
    indicator; this one catches an allow-list that refuses every request.
    """

    def __init__(self, host: str, allowed_hosts: HostPolicy):
        self._host = host
        self._allowed_hosts = allowed_hosts

    @property
    def name(self) -> str:
        return "origin"

    async def check(self) -> HealthReport:
        allowed = self._allowed_hosts.permits(self._host)
        details: dict[str, str | bool] = {"kind": "http", "allowed": allowed}
        if not allowed:
            details["error"] = "the BACKEND_URL host is not in VALIDATION_ALLOWED_DOMAINS"
        return HealthReport(HealthStatus.UP if allowed else HealthStatus.DOWN, details)
