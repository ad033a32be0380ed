"""Use case: bring the disk tier down to a target, the results least worth keeping first."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from application.access_recorder import AccessRecorder
from application.ports.access_index import AccessIndex
from application.ports.clock import Clock
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.result_files import ResultFiles
from application.progress import NoProgress, Progress
from application.storage_usage import every_row
from domain.request import ResultKey
from domain.storage import (
    Aggressiveness,
    EvictionPolicy,
    Footprint,
    StorageLevel,
    StorageThresholds,
    choose,
    to_free,
)

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True, slots=True)
class EvictionReport:
    """What an eviction found, aimed at and did."""

    strategy: str
    before: Footprint
    target: Footprint
    after: Footprint
    evicted: int
    freed_bytes: int
    dry_run: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class EvictionSettings:
    """The STORAGE_* values eviction reads at each run (they may be reloaded)."""

    policy: EvictionPolicy
    thresholds: StorageThresholds
    aggressiveness: Aggressiveness


def unlink_all(files: ResultFiles, keys: list[ResultKey]) -> int:
    """Unlink the files of `keys`; answer the bytes freed."""
    return sum(files.remove(key) for key in keys)


class EvictResults:
    """Order the index's rows by the strategy, pick from the front until the target is met,
    then for each batch delete the rows (only those still unused: a hit or store since the
    pick keeps its row) and unlink exactly those files.

    Without a target it runs only past a warning threshold, down to the aggressiveness's
    share of the warning levels. A key this process used since its last batch, or any result
    used within the grace period, is never chosen; unlinking leaves a reader its open file.
    """

    def __init__(
        self,
        *,
        index: AccessIndex,
        files: ResultFiles,
        clock: Clock,
        settings: Callable[[], EvictionSettings],
        recorder: AccessRecorder | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._index = index
        self._files = files
        self._clock = clock
        self._settings = settings
        self._recorder = recorder
        self._metrics = metrics

    async def __call__(
        self,
        *,
        target_bytes: int | None = None,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> EvictionReport:
        started = time.perf_counter()
        progress = progress or NoProgress()
        settings = self._settings()
        if self._recorder is not None:
            await self._recorder.flush()
        rows = await every_row(self._index)
        before = Footprint(sum(row.size for row in rows), len(rows))
        if target_bytes is not None:
            target = Footprint(max(0, target_bytes), before.files)
        elif settings.thresholds.level(before) is StorageLevel.OK:
            target = before
        else:
            target = settings.thresholds.target(settings.aggressiveness)
        now = self._clock.now()
        recorder = self._recorder
        candidates = [row for row in rows if recorder is None or not recorder.touched(row.key)]
        victims = choose(settings.policy.order(candidates, now), to_free(before, target))
        evicted = freed = 0
        progress.begin("evicting", len(victims))
        if dry_run:
            evicted, freed = len(victims), sum(row.size for row in victims)
        else:
            unused_before = now - settings.policy.grace_seconds
            for start in range(0, len(victims), BATCH):
                chunk = victims[start : start + BATCH]
                removed = await self._index.remove(
                    [row.key for row in chunk], unused_before=unused_before
                )
                freed += await asyncio.to_thread(unlink_all, self._files, removed)
                evicted += len(removed)
                progress.advance(len(chunk))
        if evicted:
            self._metrics.storage_removed(reason="evicted", files=evicted, bytes=freed)
        after = Footprint(before.bytes - freed, before.files - evicted)
        if evicted:
            log.info(
                "evicted %d results (%d bytes) by %s", evicted, freed, settings.policy.strategy
            )
        return EvictionReport(
            settings.policy.strategy.value,
            before,
            target,
            after,
            evicted,
            freed,
            dry_run,
            time.perf_counter() - started,
        )
