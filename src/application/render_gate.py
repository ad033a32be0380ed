"""Backpressure and a time budget in front of the image processor."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from application.errors import Overloaded, ProcessingTimeout
from application.ports.image_processor import ImageProcessor, Rendition
from application.ports.metrics import NO_METRICS, Metrics
from domain.transform import TransformSpec

QUEUE = "render"
T = TypeVar("T")
log = logging.getLogger(__name__)


class RenderGate(ImageProcessor):
    """An `ImageProcessor` that admits at most `workers` renders at a time and lets at most
    `queue_max` more wait for one; a render beyond that is refused at once with `Overloaded`.

    An admitted render is awaited for at most `budget` seconds, then answered with
    `ProcessingTimeout`. The work itself cannot be killed (a thread runs it), so it keeps its
    worker slot until it really ends: the gate never hands the pool more work than it has
    threads, however many renders time out. The same budget bounds the wait for a slot.
    """

    def __init__(
        self,
        processor: ImageProcessor,
        *,
        workers: int,
        queue_max: int,
        budget: float,
        retry_after: int = 1,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        if workers < 1 or queue_max < 0 or budget <= 0:
            raise ValueError("a render gate needs workers >= 1, queue_max >= 0 and budget > 0")
        self._processor = processor
        self._workers = workers
        self._queue_max = queue_max
        self._budget = budget
        self._retry_after = retry_after
        self._running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._metrics = metrics

    @property
    def running(self) -> int:
        """Renders holding a worker slot, timed-out ones that still run included."""
        return self._running

    @property
    def waiting(self) -> int:
        """Renders waiting for a worker slot."""
        if not self._waiters:  # the usual case, asked by the rate limits on every request
            return 0
        return sum(1 for waiter in self._waiters if not waiter.done())

    def queue_fill(self) -> float:
        """How full the queue is, 0..1 (1 also when there is no queue and every slot is taken)."""
        if self._queue_max == 0:
            return 1.0 if self._running >= self._workers else 0.0
        return self.waiting / self._queue_max

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition:
        return await self.admit(lambda: self._processor.render(original, spec), spec.canonical)

    async def admit(self, work: Callable[[], Awaitable[T]], label: str) -> T:
        """Run `work` (a render, or other work for the render pool) within the gate's slots,
        queue and budget; `label` names it in the log when it runs out of time."""
        await self._enter()
        running = asyncio.ensure_future(work())
        running.add_done_callback(self._leave)
        deadline = asyncio.timeout(self._budget)
        try:
            async with deadline:
                # shielded: a timeout or a cancelled request stops the wait, not the work
                return await asyncio.shield(running)
        except TimeoutError as exc:
            if not deadline.expired():
                raise
            log.warning("render exceeded its %.1f s budget: %s", self._budget, label)
            raise ProcessingTimeout(f"the render took longer than {self._budget} s") from exc

    async def close(self) -> None:
        await self._processor.close()

    async def _enter(self) -> None:
        if self._running < self._workers and not self._waiters:
            self._running += 1
            return
        if self.waiting >= self._queue_max:
            self._metrics.queue_rejected(queue=QUEUE)
            raise Overloaded(
                f"{self._running} renders running and {self.waiting} waiting",
                retry_after=self._retry_after,
            )
        loop = asyncio.get_running_loop()
        slot: asyncio.Future[None] = loop.create_future()
        self._waiters.append(slot)
        timer = loop.call_later(self._budget, self._expire, slot)
        self._report_depth()
        queued_at = loop.time()
        try:
            await slot  # resolved by `_release` handing over its slot, or failed by `_expire`
        except BaseException:
            if slot.done() and not slot.cancelled() and slot.exception() is None:
                self._release()  # handed a slot, but cancelled before using it
            raise
        finally:
            timer.cancel()
            if slot in self._waiters:
                self._waiters.remove(slot)
            self._report_depth()
            self._metrics.queue_wait(queue=QUEUE, seconds=loop.time() - queued_at)

    def _report_depth(self) -> None:
        self._metrics.queue_depth(queue=QUEUE, depth=self.waiting)

    def _expire(self, slot: asyncio.Future[None]) -> None:
        if not slot.done():
            slot.set_exception(
                Overloaded(
                    f"no render slot came free within {self._budget} s",
                    retry_after=self._retry_after,
                )
            )

    def _leave(self, work: asyncio.Future[Any]) -> None:
        if not work.cancelled():
            work.exception()  # retrieved here: after a timeout nobody else awaits it
        self._release()

    def _release(self) -> None:
        """Hand the slot to the longest waiter, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._running -= 1
