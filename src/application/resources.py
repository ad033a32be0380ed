"""The background resource sampler: memory, CPU, disk, uptime and event-loop lag, periodically."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from application.ports.disk_space import DiskSpace
from application.ports.metrics import Metrics, ResourceSample
from application.ports.process_stats import ProcessStats

log = logging.getLogger(__name__)


class ResourceSampler:
    """Samples the process and the cache directory's disk, and reports them to `Metrics`.

    CPU is the share of one core used since the previous sample. Event-loop lag is how much
    later than asked the sampler's own sleep ended: the time a ready callback waits for the loop.
    """

    def __init__(
        self,
        *,
        process: ProcessStats,
        disk: DiskSpace,
        directory: Path,
        metrics: Metrics,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._process = process
        self._disk = disk
        self._directory = directory
        self._metrics = metrics
        self._monotonic = monotonic
        self._started = monotonic()
        self._last = (self._started, process.snapshot().cpu_seconds)
        self._latest: ResourceSample | None = None

    @property
    def latest(self) -> ResourceSample | None:
        """The most recent sample, None before the first one."""
        return self._latest

    @property
    def uptime_seconds(self) -> float:
        return self._monotonic() - self._started

    async def sample(self, loop_lag: float = 0.0) -> ResourceSample:
        """Take one sample now, report it, and keep it as `latest`."""
        snapshot = self._process.snapshot()
        disk = await self._disk.usage(self._directory)
        now = self._monotonic()
        last_at, last_cpu = self._last
        elapsed = now - last_at
        cpu_percent = 100.0 * (snapshot.cpu_seconds - last_cpu) / elapsed if elapsed > 0 else 0.0
        self._last = (now, snapshot.cpu_seconds)
        sample = ResourceSample(
            rss_bytes=snapshot.rss_bytes,
            virtual_bytes=snapshot.virtual_bytes,
            memory_limit_bytes=snapshot.memory_limit_bytes,
            cpu_percent=max(cpu_percent, 0.0),
            threads=snapshot.threads,
            disk_total_bytes=disk.total,
            disk_used_bytes=disk.used,
            disk_free_bytes=disk.free,
            uptime_seconds=now - self._started,
            loop_lag_seconds=loop_lag,
        )
        self._metrics.resources(sample)
        self._latest = sample
        return sample

    async def run(self, interval: Callable[[], float]) -> None:
        """Sample every `interval()` seconds until cancelled, measuring the loop's lag."""
        lag = 0.0
        while True:
            try:
                await self.sample(lag)
            except Exception:
                log.exception("resource sampling failed")
            pause = interval()
            asked = self._monotonic()
            await asyncio.sleep(pause)
            lag = max(0.0, self._monotonic() - asked - pause)
