"""This process's memory, CPU time and threads, from /proc (Linux) with portable fallbacks."""

from __future__ import annotations

import os
import resource
import sys
import threading
from pathlib import Path

from application.ports.process_stats import ProcessSnapshot, ProcessStats

_PROC_SELF = Path("/proc/self")
_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)
_NO_LIMIT = 1 << 60  # cgroup v1 reports "unlimited" as a huge number


class ProcfsProcessStats(ProcessStats):
    """Reads `/proc/self/statm` and `/proc/self/status` where they exist.

    Elsewhere resident memory falls back to the peak from `getrusage` and the thread count to
    Python's own threads. The memory limit is the cgroup limit when one is set, else the
    machine's physical memory (0 when neither can be read). CPU time is user plus system time
    of every thread, from `os.times`.
    """

    def __init__(self, proc: Path = _PROC_SELF, cgroup_limits: tuple[Path, ...] = _CGROUP_LIMITS):
        self._proc = proc
        self._cgroup_limits = cgroup_limits
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def snapshot(self) -> ProcessSnapshot:
        times = os.times()
        rss, virtual = self._memory()
        return ProcessSnapshot(
            rss_bytes=rss,
            virtual_bytes=virtual,
            memory_limit_bytes=self._memory_limit(),
            cpu_seconds=times.user + times.system,
            threads=self._threads(),
        )

    def _memory(self) -> tuple[int, int]:
        try:
            fields = (self._proc / "statm").read_text().split()
            return int(fields[1]) * self._page, int(fields[0]) * self._page
        except (OSError, ValueError, IndexError):
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss = peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB else
            return rss, rss

    def _threads(self) -> int:
        try:
            for line in (self._proc / "status").read_text().splitlines():
                if line.startswith("Threads:"):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return threading.active_count()

    def _memory_limit(self) -> int:
        for path in self._cgroup_limits:
            try:
                text = path.read_text().strip()
            except OSError:
                continue
            if text.isdigit() and int(text) < _NO_LIMIT:
                return int(text)
        try:
            return os.sysconf("SC_PHYS_PAGES") * self._page
        except (ValueError, OSError, AttributeError):
            return 0
