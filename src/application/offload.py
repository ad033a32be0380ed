"""Heavy renders on the workers (ADR 27): a request whose original is large or animated asks a
worker for the result and waits for it through the result cache, then renders it itself."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from application.correlation import current_correlation_id
from application.ports.image_measure import ImageMeasure
from application.ports.job_queue import JobQueue
from domain.jobs import Job, JobKind, JobState, Priority
from domain.result import ImageResult

log = logging.getLogger(__name__)


class Offload:
    """Sends a heavy miss (at least `min_pixels`, or animated; 0 turns it off) to the workers
    when any is alive, on the interactive queue; `elsewhere` waits up to `max_wait` seconds for
    the stored result and answers None (render it here) when none came, the job failed, or the
    queue cannot be reached. The caller holds the result key's flight, so one job per key."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        measure: ImageMeasure,
        min_pixels: int,
        max_wait: float,
        poll_seconds: float = 0.05,
    ) -> None:
        self._queue = queue
        self._measure = measure
        self._min_pixels = min_pixels
        self._max_wait = max_wait
        self._poll = poll_seconds

    async def wanted(self, original: bytes) -> bool:
        """Whether `original` is heavy and a worker is there to render it."""
        if self._min_pixels <= 0:
            return False
        size = self._measure.measure(original)
        if size is None or not (size.animated or size.pixels >= self._min_pixels):
            return False
        try:
            return await self._queue.workers_alive() > 0
        except Exception:
            log.warning("the job queue cannot be reached: rendering here", exc_info=True)
            return False

    async def elsewhere(
        self,
        path: str,
        accept: str | None,
        stored: Callable[[], Awaitable[ImageResult | None]],
    ) -> ImageResult | None:
        """The result a worker made for `path`, read with `stored`, or None."""
        arguments = {"path": path} | ({"accept": accept} if accept else {})
        job = Job(JobKind.GENERATE, arguments, Priority.INTERACTIVE, current_correlation_id())
        try:
            job_id = await self._queue.enqueue(job)
        except Exception:
            log.warning("the heavy render could not be queued: rendering here", exc_info=True)
            return None
        deadline = time.monotonic() + self._max_wait
        while time.monotonic() < deadline:
            result = await stored()
            if result is not None:
                return result
            if (await self._queue.states([job_id])).get(job_id) is JobState.FAILED:
                return None
            await asyncio.sleep(self._poll)
        log.warning("no worker rendered %s within %.1f s: rendering here", path, self._max_wait)
        return None
