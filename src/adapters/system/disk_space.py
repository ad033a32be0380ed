"""Disk usage from `os.statvfs`."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from application.ports.disk_space import DiskSpace, DiskUsage


class StatvfsDiskSpace(DiskSpace):
    """Reads the usage of the file system holding `path` with `statvfs`, in a worker thread.

    A `path` that does not exist yet (a cache directory made on first write) is measured at its
    nearest existing ancestor. `free` counts the blocks available to unprivileged writers, so
    the root-reserved blocks count as used.
    """

    async def usage(self, path: Path) -> DiskUsage:
        return await asyncio.to_thread(self._usage, path)

    @staticmethod
    def _usage(path: Path) -> DiskUsage:
        existing = path.absolute()
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        stats = os.statvfs(existing)
        total = stats.f_blocks * stats.f_frsize
        free = stats.f_bavail * stats.f_frsize
        return DiskUsage(total=total, used=total - free, free=free)
