"""The periodic work of a serving node: resource sampling and performance evaluation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from application.performance import PerformanceWatch
from application.resources import ResourceSampler


class Monitoring:
    """Runs the resource sampler every `interval()` seconds and the performance watch every
    `watch_interval()` seconds (the same as the sampler's when not given)."""

    def __init__(
        self,
        sampler: ResourceSampler,
        watch: PerformanceWatch,
        interval: Callable[[], float],
        watch_interval: Callable[[], float] | None = None,
    ) -> None:
        self._sampler = sampler
        self._watch = watch
        self._interval = interval
        self._watch_interval = watch_interval or interval
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start both loops on the running event loop (again after `stop`, not twice)."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._sampler.run(self._interval), name="resource-sampler"),
            asyncio.create_task(self._watch.run(self._watch_interval), name="performance-watch"),
        ]

    async def stop(self) -> None:
        """Cancel both loops and wait for them to end."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
