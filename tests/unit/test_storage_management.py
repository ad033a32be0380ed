"""Recording, eviction, cleanup and reconcile over the in-memory index and a real disk layer."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from adapters.disk import DiskResultCache, DiskResultFiles
from adapters.memory import FixedClock
from adapters.memory.access_index import MemoryAccessIndex
from adapters.memory.metrics import MemoryMetrics
from application.access_recorder import AccessRecorder
from application.clean_storage import CleanUpStorage, ReconcileIndex
from application.evict_results import EvictionSettings, EvictResults
from application.indexed_cache import IndexedAccessCounter, IndexedResultCache
from application.ports.access_index import AccessBatch, Hits
from application.ports.health import HealthStatus
from application.provenance import producing
from application.storage_usage import MeasureStorage, StorageUsageIndicator
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import ImageResult
from domain.storage import (
    Aggressiveness,
    EvictionPolicy,
    EvictionStrategy,
    Footprint,
    RetentionPolicy,
    StorageLevel,
    StorageThresholds,
    StoredResult,
)

NOW = 1_000_000.0
DAY = 86_400.0


def key(n: int, tenant: str = "acme") -> ResultKey:
    return ResultKey(tenant, f"{n:064x}")


class Node:
    """A disk layer recorded into a memory index, as the container wires it."""

    def __init__(self, root: Path, **policy: object) -> None:
        self.clock = FixedClock(NOW)
        self.index = MemoryAccessIndex()
        self.files = DiskResultFiles(root)
        self.metrics = MemoryMetrics()
        self.recorder = AccessRecorder(self.index, self.clock, batch_size=10_000)
        self.disk = IndexedResultCache(
            DiskResultCache(root), self.files, self.recorder, self.index, self.clock
        )
        self.access = IndexedAccessCounter(self.recorder, self.index)
        self.thresholds = StorageThresholds(10_000, 6_000, 9_000, 1_000, 2_000)
        self.policy = EvictionPolicy(**policy)  # type: ignore[arg-type]
        self.evict = EvictResults(
            index=self.index,
            files=self.files,
            clock=self.clock,
            settings=lambda: EvictionSettings(
                self.policy, self.thresholds, Aggressiveness.MODERATE
            ),
            recorder=self.recorder,
            metrics=self.metrics,
        )

    async def store(self, n: int, size: int, *, cost: float = 0.0) -> ResultKey:
        k = key(n)
        with producing(f"p/{n}.jpg", cost):
            await self.disk.put(k, ImageResult.of(b"x" * size, OutputFormat.WEBP, int(NOW)))
        return k


def test_stores_and_hits_reach_the_index_only_when_a_batch_is_written(tmp_path: Path) -> None:
    node = Node(tmp_path)

    async def scenario() -> tuple[StoredResult | None, StoredResult | None]:
        k = await node.store(1, 500, cost=0.25)
        node.access.record(k)
        node.access.record(k)
        before = await node.index.get(k)
        await node.recorder.flush()
        return before, await node.index.get(k)

    before, after = asyncio.run(scenario())

    assert before is None
    assert after is not None
    assert (after.access_count, after.source, after.cost_seconds) == (2, "p/1.jpg", 0.25)
    assert (
        after.size == (tmp_path / "results/acme" / key(1).digest[:2] / key(1).digest).stat().st_size
    )


def test_a_refused_batch_is_kept_and_written_with_the_next(tmp_path: Path) -> None:
    node = Node(tmp_path)

    async def scenario() -> StoredResult | None:
        k = await node.store(1, 10)
        node.index.unavailable = True
        assert await node.recorder.flush() == 0
        node.access.record(k)
        node.index.unavailable = False
        await node.recorder.flush()
        return await node.index.get(k)

    stored = asyncio.run(scenario())

    assert stored is not None
    assert stored.access_count == 1


def test_eviction_past_the_warning_size_keeps_hot_results_and_removes_file_and_row(
    tmp_path: Path,
) -> None:
    node = Node(tmp_path, grace_seconds=0.0)

    async def scenario() -> tuple[list[ResultKey], list[ResultKey]]:
        cold = [await node.store(n, 900) for n in range(10)]
        hot = [await node.store(100 + n, 900) for n in range(2)]
        for k in hot:
            for _ in range(6):
                node.access.record(k)
        await node.recorder.flush()
        node.clock.advance(3600)
        report = await node.evict()
        assert report.after.bytes <= node.thresholds.target(Aggressiveness.MODERATE).bytes
        return cold, hot

    _cold, hot = asyncio.run(scenario())
    rows = {r.key for r in asyncio.run(node.index.page(None, 100))}
    on_disk = {f.key for f in node.files.results()}

    assert set(hot) <= rows
    assert rows == on_disk
    assert len(rows) < 12
    assert node.metrics.total("mediastream_storage_removed_files_total") == 12 - len(rows)


def test_eviction_never_takes_a_result_used_within_the_grace_period(tmp_path: Path) -> None:
    node = Node(tmp_path, grace_seconds=60.0, strategy=EvictionStrategy.LRU)

    async def scenario() -> int:
        for n in range(5):
            await node.store(n, 1000)
        await node.recorder.flush()
        node.clock.advance(30)
        return (await node.evict(target_bytes=0)).evicted

    assert asyncio.run(scenario()) == 0
    assert len(list(node.files.results())) == 5


@pytest.mark.parametrize(
    ("strategy", "first"),
    [
        (EvictionStrategy.LRU, 0),  # read longest ago
        (EvictionStrategy.LFU, 1),  # read least often
        (EvictionStrategy.SIZE, 2),  # largest
        (EvictionStrategy.AGE, 3),  # made first
        (EvictionStrategy.INTELLIGENT, 2),  # cold, large, cheap
    ],
)
def test_each_strategy_orders_by_its_own_measure(strategy: EvictionStrategy, first: int) -> None:
    def made(n: int, *, size: int, created: float, last: float, count: int) -> StoredResult:
        return StoredResult(key(n), "webp", size, created, last, count, heat=0.0)

    rows = [
        made(0, size=100, created=NOW - 5 * DAY, last=NOW - 9 * DAY, count=9),
        made(1, size=100, created=NOW - 5 * DAY, last=NOW - 2 * DAY, count=1),
        made(2, size=900, created=NOW - 4 * DAY, last=NOW - 3 * DAY, count=3),
        made(3, size=100, created=NOW - 8 * DAY, last=NOW - 1 * DAY, count=4),
    ]
    policy = EvictionPolicy(strategy=strategy, age_seconds=7 * DAY)

    assert policy.order(rows, NOW)[0].key == key(first)


def test_thresholds_give_the_level_and_a_target_below_the_warning_size() -> None:
    limits = StorageThresholds(1000, 800, 900, 10, 20)

    assert limits.level(Footprint(799, 9)) is StorageLevel.OK
    assert limits.level(Footprint(800, 0)) is StorageLevel.WARNING
    assert limits.level(Footprint(10, 20)) is StorageLevel.CRITICAL
    assert limits.target(Aggressiveness.AGGRESSIVE) == Footprint(560, 7)


def test_cleanup_removes_old_temporaries_unused_results_and_orphans_and_dry_run_nothing(
    tmp_path: Path,
) -> None:
    node = Node(tmp_path)
    retention = RetentionPolicy(unused_seconds=30 * DAY)
    clean = CleanUpStorage(
        index=node.index,
        files=node.files,
        clock=node.clock,
        retention=lambda: retention,
        recorder=node.recorder,
    )

    async def fill() -> tuple[ResultKey, ResultKey, ResultKey]:
        kept, unused, orphan_file = await node.store(1, 10), await node.store(2, 10), key(3)
        await node.recorder.flush()
        await DiskResultCache(tmp_path).put(orphan_file, ImageResult.of(b"y", OutputFormat.PNG, 1))
        return kept, unused, orphan_file

    kept, unused, orphan_file = asyncio.run(fill())
    temp = tmp_path / "results/acme" / kept.digest[:2] / f".{kept.digest}.abc.tmp"
    temp.write_bytes(b"half")
    for path in (temp, *tmp_path.rglob(orphan_file.digest)):
        os.utime(path, (NOW - 2 * DAY, NOW - 2 * DAY))
    node.clock.advance(31 * DAY)
    now = node.clock.now()
    ghost = StoredResult(key(4), "png", 5, now - 3600, now - 3600)  # a row whose file is gone
    asyncio.run(node.index.record(AccessBatch(now, [ghost], {kept: Hits(1, now)}), 3600))

    dry = asyncio.run(clean(dry_run=True, budget=60))
    assert dry.removed == {"temporary": 1, "unused": 1, "orphan-file": 1, "orphan-row": 1}
    assert temp.exists()
    assert node.files.size(unused) is not None

    report = asyncio.run(clean(dry_run=False, budget=60))

    assert report.complete
    assert report.removed == dry.removed
    assert not temp.exists()
    assert {f.key for f in node.files.results()} == {kept}
    assert [r.key for r in asyncio.run(node.index.page(None, 10))] == [kept]


def test_reconcile_rebuilds_the_index_from_the_files(tmp_path: Path) -> None:
    node = Node(tmp_path)
    plain = DiskResultCache(tmp_path)
    asyncio.run(plain.put(key(7), ImageResult.of(b"abc", OutputFormat.AVIF, 1234)))
    reconcile = ReconcileIndex(index=node.index, files=node.files, clock=node.clock, half_life=3600)

    report = asyncio.run(reconcile())
    stored = asyncio.run(node.index.get(key(7)))

    assert (report.added, report.removed) == (1, 0)
    assert stored is not None
    assert (stored.format, stored.created_at) == ("avif", 1234.0)


def test_the_usage_indicator_is_down_past_a_critical_threshold(tmp_path: Path) -> None:
    node = Node(tmp_path)
    measure = MeasureStorage(node.index, lambda: node.thresholds, node.metrics)

    async def scenario() -> HealthStatus:
        for n in range(10):
            await node.store(n, 1000)
        await node.recorder.flush()
        return (await StorageUsageIndicator(measure).check()).status

    assert asyncio.run(scenario()) is HealthStatus.DOWN
    assert node.metrics.value("mediastream_storage_level") == 2
