"""Renders in processes of their own, so that N of them use N cores with no GIL between them.

The pool starts its processes with `spawn` (no fork of a server that holds threads, locks and
sockets) and applies Pillow's bomb limits in each one. A process that dies (killed for its
memory) breaks a `ProcessPoolExecutor` for good; `RenderProcesses` then starts a fresh pool
for the next render, and the render that was lost is a `DecodeFailed`.

Originals travel to the render processes in shared memory (`SharedOriginals`): a few
segments, each lent to one render at a time and reused, so a miss costs one copy of its
original in the server process instead of a pickle pushed through a pipe in 64 KiB writes
(and the child's read and unpickle). An original that finds no free segment, or is larger
than a segment may be, goes through the pipe as before.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from adapters.pillow.guards import SourceLimits, guard_pillow

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# A segment starts at SEGMENT_BYTES and grows to fit (in steps of SEGMENT_BYTES) up to
# MAX_SEGMENT_BYTES; larger originals take the pipe. At most `processes + 1` segments exist,
# so /dev/shm holds at most (processes + 1) * MAX_SEGMENT_BYTES (64 MiB for two processes:
# Docker's default /dev/shm size).
SEGMENT_BYTES = 8 * 1024 * 1024
MAX_SEGMENT_BYTES = 16 * 1024 * 1024
# segments a render process keeps mapped (more than exist at once: a regrown one is new)
ATTACHED_IN_CHILD = 8
# where POSIX shared memory appears as files (Linux), and how this module names its segments
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 (only listed, and our own names unlinked)
SEGMENT_PREFIX = "media-stream-original"
_OWNED = re.compile(rf"{SEGMENT_PREFIX}-([0-9]+)-[0-9a-f]+")


class RenderProcesses(Executor):
    """An executor over `processes` spawned processes, restarted when one of them dies."""

    def __init__(self, processes: int, limits: SourceLimits) -> None:
        self._processes = processes
        self._limits = limits
        self._lock = threading.Lock()
        self._originals = SharedOriginals(processes + 1)
        self._pool = self._fresh_pool()
        # start and import now: the first requests would otherwise wait for it (a second or
        # more on a busy machine), and spend their render budget waiting
        self._warming = [self._pool.submit(_ready) for _ in range(processes)]

    @property
    def processes(self) -> int:
        return self._processes

    @property
    def warming(self) -> list[Future[None]]:
        """The start-up imports submitted when the pool was made: done once they have run."""
        return list(self._warming)

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            return self._restarted(pool).submit(fn, *args, **kwargs)

    def submit_with_original(
        self,
        fn: Callable[Concatenate[bytes, P], T],
        original: bytes,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Future[T]:
        """`fn(original, *args)` in a render process, the original in shared memory."""
        segment = self._originals.lend(original)
        if segment is None:
            return self.submit(fn, original, *args, **kwargs)
        try:
            future = self.submit(
                _with_shared_original, fn, segment.name, len(original), *args, **kwargs
            )
        except BaseException:
            self._originals.give_back(segment)
            raise
        # the segment is the render's until it is done (a cancelled wait does not end it)
        future.add_done_callback(lambda _: self._originals.give_back(segment))
        return future

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
        # a render still reading keeps its mapping: unlinking only removes the names
        self._originals.close()

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


class SharedOriginals:
    """Shared-memory segments lent to one render at a time, reused from render to render.

    A reused segment's pages are already in memory, so writing an original into it is one
    copy without page faults (a fresh segment per render costs as much as the pipe). Space
    for a segment is reserved with `posix_fallocate` when it is made, so a full /dev/shm is
    an error here (and the pipe is used) instead of a SIGBUS on the first write.

    Segments are named `SEGMENT_PREFIX-<pid>-<random>` after the process that made them. A
    node killed together with Python's resource tracker (a supervisor killing the whole
    process group or cgroup) cannot unlink its own, so the next one to start removes those
    of processes that no longer exist (`sweep_orphaned_segments`).
    """

    def __init__(self, max_segments: int) -> None:
        removed = sweep_orphaned_segments()
        if removed:
            log.info("removed %d shared-memory segments left by stopped servers", removed)
        self._max = max_segments
        self._lock = threading.Lock()
        self._free: list[SharedMemory] = []
        self._count = 0
        self._closed = False

    def lend(self, original: bytes) -> SharedMemory | None:
        """A segment holding `original`, or None (none free, too large, no shared memory)."""
        size = len(original)
        if size > MAX_SEGMENT_BYTES:
            return None
        segment = self._take()
        if segment is not None and segment.size < size:
            self._discard(segment)  # too small: a larger one takes its place
            segment = None
        if segment is None:
            segment = self._new(size)
            if segment is None:
                return None
        _buffer(segment)[:size] = original
        return segment

    def give_back(self, segment: SharedMemory) -> None:
        """`segment` is free again (its render is done)."""
        with self._lock:
            if not self._closed:
                self._free.append(segment)
                return
        self._discard(segment)

    def close(self) -> None:
        """Unlink every free segment; segments still lent go when they are given back."""
        with self._lock:
            self._closed = True
            free, self._free = self._free, []
        for segment in free:
            self._discard(segment)

    def _take(self) -> SharedMemory | None:
        with self._lock:
            return self._free.pop() if self._free else None

    def _reserve(self) -> bool:
        with self._lock:
            if self._closed or self._count >= self._max:
                return False
            self._count += 1
            return True

    def _new(self, size: int) -> SharedMemory | None:
        if not self._reserve():
            return None
        capacity = -(-size // SEGMENT_BYTES) * SEGMENT_BYTES
        try:
            segment = SharedMemory(name=_segment_name(), create=True, size=capacity)
        except OSError as exc:
            self._stop_growing(exc)
            return None
        try:
            os.posix_fallocate(segment._fd, 0, capacity)  # type: ignore[attr-defined]
        except OSError as exc:
            segment.close()
            segment.unlink()
            self._stop_growing(exc)
            return None
        return segment

    def _stop_growing(self, error: OSError) -> None:
        """No room for another segment: keep those there are, the rest take the pipe."""
        with self._lock:
            self._count -= 1  # the reservation that failed
            self._max = self._count
        log.warning(
            "no room in shared memory for another original (%r): originals beyond %d at "
            "once take the pipe",
            error,
            self._max,
        )

    def _discard(self, segment: SharedMemory) -> None:
        with self._lock:
            self._count -= 1
        segment.close()
        with contextlib.suppress(FileNotFoundError):
            segment.unlink()


def _segment_name() -> str:
    return f"{SEGMENT_PREFIX}-{os.getpid()}-{secrets.token_hex(6)}"


def sweep_orphaned_segments(directory: Path = SHARED_MEMORY) -> int:
    """Unlink the segments in `directory` whose maker is no longer running; how many.

    Only names this module makes are looked at. A maker that exists under another user, or
    a pid taken again since, keeps its segments: nothing in use is ever removed. Where there
    is no `directory` (no /dev/shm), there is nothing to do.
    """
    try:
        names = [entry.name for entry in directory.iterdir()]
    except OSError:
        return 0
    removed = 0
    for name in names:
        found = _OWNED.fullmatch(name)
        if found is None or _running(int(found.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError, PermissionError):  # gone, or not ours
            (directory / name).unlink()
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


_attached: OrderedDict[str, SharedMemory] = OrderedDict()  # in a render process


def _with_shared_original(
    fn: Callable[..., T], name: str, size: int, /, *args: Any, **kwargs: Any
) -> T:
    """In a render process: `fn(original, *args)`, the original read from segment `name`."""
    segment = _attached.get(name)
    if segment is None:
        segment = _attached[name] = SharedMemory(name=name)
        while len(_attached) > ATTACHED_IN_CHILD:
            _attached.popitem(last=False)[1].close()
    _attached.move_to_end(name)
    return fn(bytes(_buffer(segment)[:size]), *args, **kwargs)


def _buffer(segment: SharedMemory) -> memoryview:
    buffer = segment.buf
    if buffer is None:  # only after close(), which a lent or attached segment never is
        raise ValueError(f"shared memory segment {segment.name} is closed")
    return buffer
