"""The node's load, measured in the process: CPU time, event-loop lag, render queue fill."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

from application.ports.load_gauge import LoadGauge
from domain.load import LoadReading


class SystemLoadGauge(LoadGauge):
    """Samples every `interval` seconds on the event loop, smoothed over about `smoothing`
    samples (an exponential moving average: a burst tightens the limits within a second or
    two, and they recover as fast once it ends).

    - CPU: this process's CPU time (every thread, so the image workers count) per wall-clock
      second, divided by the cores it may use;
    - lag: how late the sampling callback runs, i.e. how long the loop was kept busy;
    - queue: `queue_fill()`, read fresh on every reading.

    Sampling starts with the first reading made inside a running loop; `close` stops it.
    """

    def __init__(
        self,
        queue_fill: Callable[[], float],
        *,
        interval: float = 0.25,
        smoothing: float = 4.0,
        cpus: int | None = None,
    ) -> None:
        self._queue_fill = queue_fill
        self._interval = interval
        self._weight = 1.0 / max(1.0, smoothing)
        self._cpus = cpus or _usable_cpus()
        self._cpu = 0.0
        self._lag_ms = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._last_wall = 0.0
        self._last_cpu = 0.0
        self._due = 0.0
        self._reading = LoadReading()

    def reading(self) -> LoadReading:
        if self._timer is None:
            self._start()
        fill = self._queue_fill()
        last = self._reading
        if last.queue_fill != fill or last.cpu != self._cpu or last.loop_lag_ms != self._lag_ms:
            # a new reading only when something moved: the limits ask on every request
            self._reading = LoadReading(cpu=self._cpu, loop_lag_ms=self._lag_ms, queue_fill=fill)
        return self._reading

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # read outside a loop (a test, a script): report what is known
        self._last_wall, self._last_cpu = time.monotonic(), time.process_time()
        self._schedule(loop)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = loop.time() + self._interval
        self._timer = loop.call_at(self._due, self._sample, loop)

    def _sample(self, loop: asyncio.AbstractEventLoop) -> None:
        lag_ms = max(0.0, loop.time() - self._due) * 1000
        wall, cpu = time.monotonic(), time.process_time()
        elapsed = wall - self._last_wall
        if elapsed > 0:
            share = (cpu - self._last_cpu) / elapsed / self._cpus
            self._cpu = self._smoothed(self._cpu, min(1.0, max(0.0, share)))
        self._lag_ms = self._smoothed(self._lag_ms, lag_ms)
        self._last_wall, self._last_cpu = wall, cpu
        self._schedule(loop)

    def _smoothed(self, old: float, new: float) -> float:
        return old + (new - old) * self._weight


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
