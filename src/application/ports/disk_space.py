"""Port: how full the file system holding a directory is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """Sizes of one file system in bytes; `free` is what this process may still write."""

    total: int
    used: int
    free: int

    @property
    def used_percent(self) -> float:
        """Share of the writable space in use, 0..100 (100 for a file system of size 0)."""
        usable = self.used + self.free
        return 100.0 if usable <= 0 else 100.0 * self.used / usable


class DiskSpace(Protocol):
    """Answers the usage of the file system `path` is on (its nearest existing ancestor)."""

    async def usage(self, path: Path) -> DiskUsage: ...
