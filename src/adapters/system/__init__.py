"""Adapters to the operating system: file systems (statvfs, access), this process (/proc) and
its allocator (glibc)."""

from adapters.system.allocator import retain_freed_memory
from adapters.system.disk_space import StatvfsDiskSpace
from adapters.system.process_stats import ProcfsProcessStats
from adapters.system.storage import WritableDirectoryIndicator

__all__ = [
    "ProcfsProcessStats",
    "StatvfsDiskSpace",
    "WritableDirectoryIndicator",
    "retain_freed_memory",
]
