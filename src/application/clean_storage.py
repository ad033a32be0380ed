"""Use cases: retention cleanup of the disk tier, and rebuilding the index from the disk."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from application.access_recorder import AccessRecorder
from application.evict_results import unlink_all
from application.ports.access_index import AccessBatch, AccessIndex
from application.ports.clock import Clock
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.result_files import ResultFile, ResultFiles
from application.progress import NoProgress, Progress
from application.storage_usage import every_row
from domain.request import ResultKey
from domain.storage import RetentionPolicy, StoredResult

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(slots=True)
class CleanupReport:
    """Files (and rows) removed, or that would be with `dry_run`, per reason; `complete` is
    False when the time budget ran out first."""

    dry_run: bool
    removed: dict[str, int] = field(default_factory=dict)
    freed_bytes: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    seconds: float = 0.0

    def count(self, reason: str, files: int, size: int) -> None:
        self.removed[reason] = self.removed.get(reason, 0) + files
        self.freed_bytes[reason] = self.freed_bytes.get(reason, 0) + size


class CleanUpStorage:
    """Remove, in this order and within `budget` seconds: temporary files older than the
    retention's limit, results not used for STORAGE_MAX_FILE_AGE_DAYS (row and file), files
    without a row and rows without a file (both older than the orphan grace, so a batch not yet
    written is never taken for an orphan). `dry_run` counts the same and removes nothing."""

    def __init__(
        self,
        *,
        index: AccessIndex,
        files: ResultFiles,
        clock: Clock,
        retention: Callable[[], RetentionPolicy],
        recorder: AccessRecorder | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._index = index
        self._files = files
        self._clock = clock
        self._retention = retention
        self._recorder = recorder
        self._metrics = metrics

    async def __call__(
        self, *, dry_run: bool, budget: float, progress: Progress | None = None
    ) -> CleanupReport:
        started = time.monotonic()
        deadline = started + budget
        progress = progress or NoProgress()
        retention, now = self._retention(), self._clock.now()
        report = CleanupReport(dry_run)
        if self._recorder is not None:
            await self._recorder.flush()
        steps = (self._temporary, self._unused, self._orphans)
        for step in steps:
            if time.monotonic() >= deadline:
                report.complete = False
                break
            await step(report, retention, now, deadline, progress)
        report.seconds = time.monotonic() - started
        if not dry_run:
            for reason, files in report.removed.items():
                self._metrics.storage_removed(
                    reason=reason, files=files, bytes=report.freed_bytes.get(reason, 0)
                )
        log.info("storage cleanup%s: %s", " (dry run)" if dry_run else "", report.removed)
        return report

    async def _temporary(
        self,
        report: CleanupReport,
        retention: RetentionPolicy,
        now: float,
        deadline: float,
        progress: Progress,
    ) -> None:
        old = [
            path
            for path, modified in await asyncio.to_thread(lambda: list(self._files.temporary()))
            if now - modified > retention.temporary_seconds
        ]
        progress.begin("temporary files", len(old))
        for path in old:
            if time.monotonic() >= deadline:
                report.complete = False
                return
            size = (
                0 if report.dry_run else await asyncio.to_thread(self._files.remove_temporary, path)
            )
            report.count("temporary", 1, size)
            progress.advance()

    async def _unused(
        self,
        report: CleanupReport,
        retention: RetentionPolicy,
        now: float,
        deadline: float,
        progress: Progress,
    ) -> None:
        stale = [row for row in await every_row(self._index) if retention.stale(row, now)]
        await self._remove_rows(
            report, "unused", stale, now - retention.unused_seconds, deadline, progress
        )

    async def _orphans(
        self,
        report: CleanupReport,
        retention: RetentionPolicy,
        now: float,
        deadline: float,
        progress: Progress,
    ) -> None:
        rows = {row.key: row for row in await every_row(self._index)}
        on_disk = await asyncio.to_thread(lambda: {f.key: f for f in self._files.results()})
        settled = now - retention.orphan_seconds
        lonely_files = [
            f for key, f in on_disk.items() if key not in rows and f.modified_at < settled
        ]
        progress.begin("files without a row", len(lonely_files))
        for lonely in lonely_files:
            if time.monotonic() >= deadline:
                report.complete = False
                return
            if self._recorder is not None and self._recorder.touched(lonely.key):
                continue
            size = 0 if report.dry_run else await asyncio.to_thread(self._files.remove, lonely.key)
            report.count("orphan-file", 1, lonely.size if report.dry_run else size)
            progress.advance()
        lonely_rows = [row for key, row in rows.items() if key not in on_disk]
        await self._remove_rows(report, "orphan-row", lonely_rows, settled, deadline, progress)

    async def _remove_rows(
        self,
        report: CleanupReport,
        reason: str,
        rows: list[StoredResult],
        unused_before: float,
        deadline: float,
        progress: Progress,
    ) -> None:
        progress.begin(reason.replace("-", " ") + "s", len(rows))
        for start in range(0, len(rows), BATCH):
            if time.monotonic() >= deadline:
                report.complete = False
                return
            chunk = rows[start : start + BATCH]
            if report.dry_run:
                eligible = [r for r in chunk if r.last_used_at < unused_before]
                report.count(reason, len(eligible), sum(r.size for r in eligible))
            else:
                removed = await self._index.remove(
                    [r.key for r in chunk], unused_before=unused_before
                )
                freed = await asyncio.to_thread(unlink_all, self._files, removed)
                report.count(reason, len(removed), freed)
            progress.advance(len(chunk))


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """Rows added for files the index did not know, corrected, and removed for missing files."""

    added: int
    corrected: int
    removed: int
    seconds: float


class ReconcileIndex:
    """Rebuild the index from the disk: a row for every result file (from its header; counts of
    existing rows are kept), no row without a file. Files whose header is not a whole entry are
    left for the disk layer, which drops them when read."""

    def __init__(
        self,
        *,
        index: AccessIndex,
        files: ResultFiles,
        clock: Clock,
        half_life: float,
        recorder: AccessRecorder | None = None,
    ) -> None:
        self._index = index
        self._files = files
        self._clock = clock
        self._half_life = half_life
        self._recorder = recorder

    async def __call__(self, progress: Progress | None = None) -> ReconcileReport:
        started, began_at = time.monotonic(), self._clock.now()
        progress = progress or NoProgress()
        if self._recorder is not None:
            await self._recorder.flush()
        rows = {row.key: row for row in await every_row(self._index)}
        on_disk = await asyncio.to_thread(lambda: list(self._files.results()))
        progress.begin("files", len(on_disk))
        added = corrected = 0
        for start in range(0, len(on_disk), BATCH):
            chunk = on_disk[start : start + BATCH]
            stores = await asyncio.to_thread(self._rows_for, chunk, rows)
            added += sum(1 for row in stores if row.key not in rows)
            corrected += sum(1 for row in stores if row.key in rows)
            if stores:
                await self._index.record(AccessBatch(self._clock.now(), stores), self._half_life)
            progress.advance(len(chunk))
        present = {f.key for f in on_disk}
        missing = [key for key in rows if key not in present]
        # a row written since the listing began is for a file the listing may have missed
        removed = len(await self._index.remove(missing, unused_before=began_at))
        return ReconcileReport(added, corrected, removed, time.monotonic() - started)

    def _rows_for(
        self, chunk: list[ResultFile], rows: dict[ResultKey, StoredResult]
    ) -> list[StoredResult]:
        stores = []
        for found in chunk:
            known = rows.get(found.key)
            if known is not None and known.size == found.size:
                continue
            facts = self._files.facts(found.key)
            if facts is None:
                continue
            stores.append(
                StoredResult(
                    found.key,
                    facts.format,
                    found.size,
                    created_at=facts.produced_at,
                    last_access_at=found.modified_at,
                )
            )
        return stores
