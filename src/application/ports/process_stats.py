"""Port: what this process uses of the machine right now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ProcessSnapshot:
    """Memory in bytes, CPU time in seconds since the process began, and its thread count.

    `memory_limit_bytes` is the most the process may use: its cgroup limit when it has one,
    else the machine's memory.
    """

    rss_bytes: int
    virtual_bytes: int
    memory_limit_bytes: int
    cpu_seconds: float
    threads: int

    @property
    def memory_percent(self) -> float:
        """Resident memory as a share of the limit, 0..100 (0 when the limit is unknown)."""
        if self.memory_limit_bytes <= 0:
            return 0.0
        return 100.0 * self.rss_bytes / self.memory_limit_bytes


class ProcessStats(Protocol):
    """Answers a snapshot of this process's memory, CPU time and threads; never raises."""

    def snapshot(self) -> ProcessSnapshot: ...
