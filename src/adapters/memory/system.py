"""Stand-ins for the operating system: a disk and a process whose figures a test sets."""

from __future__ import annotations

from pathlib import Path

from application.ports.disk_space import DiskSpace, DiskUsage
from application.ports.process_stats import ProcessSnapshot, ProcessStats


class FixedDiskSpace(DiskSpace):
    """A file system of `total` bytes with `free` of them free, whatever the path.

    Test-only features: `fill(free)` changes the free bytes (a full disk is `fill(0)`);
    `paths` lists every path asked about.
    """

    def __init__(self, *, total: int = 100 * 2**30, free: int = 50 * 2**30) -> None:
        if not 0 <= free <= total:
            raise ValueError(f"need 0 <= free <= total, got {free=} {total=}")
        self._total = total
        self._free = free
        self.paths: list[Path] = []

    async def usage(self, path: Path) -> DiskUsage:
        self.paths.append(path)
        return DiskUsage(total=self._total, used=self._total - self._free, free=self._free)

    def fill(self, free: int) -> None:
        """Leave `free` bytes free from now on."""
        if not 0 <= free <= self._total:
            raise ValueError(f"need 0 <= free <= {self._total}, got {free}")
        self._free = free


class FixedProcessStats(ProcessStats):
    """A process whose snapshot is whatever was last `set` (one 100 MiB thread by default)."""

    def __init__(self, snapshot: ProcessSnapshot | None = None) -> None:
        self._snapshot = snapshot or ProcessSnapshot(
            rss_bytes=100 * 2**20,
            virtual_bytes=400 * 2**20,
            memory_limit_bytes=2**30,
            cpu_seconds=0.0,
            threads=1,
        )

    def snapshot(self) -> ProcessSnapshot:
        return self._snapshot

    def set(self, snapshot: ProcessSnapshot) -> None:
        """Answer `snapshot` from now on."""
        self._snapshot = snapshot
