"""Counting hits and stores in memory, written to the access index in batches (ADR 22)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace

from application.errors import AccessIndexUnavailable
from application.ports.access_index import AccessBatch, AccessIndex, Hits
from application.ports.clock import Clock
from application.ports.metrics import NO_METRICS, Metrics
from domain.request import ResultKey
from domain.storage import StoredResult

log = logging.getLogger(__name__)


class AccessRecorder:
    """`hit` and `stored` only touch dicts (no request waits on the index); a background task
    writes what they collected every `flush_every` seconds, or as soon as `batch_size` keys
    are pending. A crash loses at most the batch not yet written, never a result file.

    A batch the index refuses (away, locked) is kept for the next one; past `max_pending`
    keys the oldest counts are dropped with a warning, so an index that is away for long costs
    bounded memory.
    """

    def __init__(
        self,
        index: AccessIndex,
        clock: Clock,
        *,
        flush_every: float = 2.0,
        batch_size: int = 1000,
        half_life: float = 72 * 3600.0,
        max_pending: int = 100_000,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._index = index
        self._clock = clock
        self._flush_every = flush_every
        self._batch_size = max(1, batch_size)
        self._half_life = half_life
        self._max_pending = max_pending
        self._metrics = metrics
        self._hits: dict[ResultKey, Hits] = {}
        self._stores: dict[ResultKey, StoredResult] = {}
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Distinct keys counted or stored since the last batch was written."""
        return len(self._hits.keys() | self._stores.keys())

    def hit(self, key: ResultKey) -> None:
        """Count one access of `key` now."""
        known = self._hits.get(key)
        now = self._clock.now()
        self._hits[key] = Hits(1 if known is None else known.count + 1, now)
        self._check_size()

    def stored(self, row: StoredResult) -> None:
        """Remember that `row`'s result was written to disk."""
        self._stores[row.key] = row
        self._check_size()

    def touched(self, key: ResultKey) -> bool:
        """Whether `key` was used since the last batch (eviction leaves such keys alone)."""
        return key in self._hits or key in self._stores

    def forget_stores(self, tenant: str) -> None:
        """Drop the pending stores of `tenant` (its files were removed)."""
        self._stores = {key: row for key, row in self._stores.items() if key.tenant != tenant}

    def forget_tenant(self, tenant: str) -> int:
        """Drop what is pending for `tenant` (its results were flushed); answer how many keys."""
        pending = {key for key in (*self._hits, *self._stores) if key.tenant == tenant}
        self._hits = {key: hits for key, hits in self._hits.items() if key.tenant != tenant}
        self._stores = {key: row for key, row in self._stores.items() if key.tenant != tenant}
        return len(pending)

    async def flush(self) -> int:
        """Write what is pending now; answer how many keys the batch held (0 if refused)."""
        async with self._lock:
            batch = AccessBatch(self._clock.now(), list(self._stores.values()), self._hits)
            self._hits, self._stores = {}, {}
            self._full.clear()
            if not len(batch):
                return 0
            started = time.perf_counter()
            try:
                await self._index.record(batch, self._half_life)
            except AccessIndexUnavailable as exc:
                self._observe("failed", len(batch), started)
                log.warning("access index batch of %d keys not written: %s", len(batch), exc)
                self._keep(batch)
                return 0
            self._observe("ok", len(batch), started)
            return len(batch)

    async def start(self) -> None:
        """Flush in the background until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._flush_forever(), name="access-index-flush")

    async def stop(self) -> None:
        """Stop the background task, then write what is pending."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._flush_every):
                    await self._full.wait()
            try:
                await self.flush()
            except Exception:
                log.exception("writing the access index batch failed")

    def _check_size(self) -> None:
        # called on every hit: the union of the pending keys is built only once the two
        # counts (its upper bound) reach a batch, and not again while a full batch waits
        size = self._batch_size
        if self._full.is_set() or len(self._hits) + len(self._stores) < size:
            return
        if self.pending >= size:
            self._full.set()

    def _keep(self, batch: AccessBatch) -> None:
        """Put a refused batch back under what was collected meanwhile."""
        for row in batch.stores:
            self._stores.setdefault(row.key, row)
        for key, hits in batch.hits.items():
            newer = self._hits.get(key)
            self._hits[key] = (
                hits if newer is None else replace(newer, count=newer.count + hits.count)
            )
        if self.pending > self._max_pending:
            log.warning("dropping %d unwritten access counts", len(self._hits))
            self._hits.clear()

    def _observe(self, outcome: str, rows: int, started: float) -> None:
        seconds = time.perf_counter() - started
        self._metrics.access_index_flush(outcome=outcome, rows=rows, seconds=seconds)
