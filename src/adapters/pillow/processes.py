"""Renders in processes of their own, so that N of them use N cores with no GIL between them.

The pool starts its processes with `spawn` (no fork of a server that holds threads, locks and
sockets) and applies Pillow's bomb limits in each one. A process that dies (killed for its
memory) breaks a `ProcessPoolExecutor` for good; `RenderProcesses` then starts a fresh pool
for the next render, and the render that was lost is a `DecodeFailed`.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

from adapters.pillow.guards import SourceLimits, guard_pillow

P = ParamSpec("P")
T = TypeVar("T")


class RenderProcesses(Executor):
    """An executor over `processes` spawned processes, restarted when one of them dies."""

    def __init__(self, processes: int, limits: SourceLimits) -> None:
        self._processes = processes
        self._limits = limits
        self._lock = threading.Lock()
        self._pool = self._fresh_pool()
        for _ in range(processes):
            # start and import now: the first requests would otherwise wait half a second
            self._pool.submit(_ready)

    @property
    def processes(self) -> int:
        return self._processes

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            return self._restarted(pool).submit(fn, *args, **kwargs)

    def restart_if_broken(self, error: BaseException) -> bool:
        """Whether `error` came from a dead process; the pool is then replaced."""
        if not isinstance(error, BrokenProcessPool):
            return False
        with self._lock:
            pool = self._pool
        self._restarted(pool)
        return True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def _restarted(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._fresh_pool()
            return self._pool

    def _fresh_pool(self) -> ProcessPoolExecutor:
        initargs: tuple[Any, ...] = (self._limits,)
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=guard_pillow,
            initargs=initargs,
        )


def _ready() -> None:
    """Import the pipeline into a fresh render process."""
    import adapters.pillow.pipeline  # noqa: F401
