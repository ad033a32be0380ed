"""Adapters to the operating system: file systems (statvfs, access) and this process (/proc)."""

from adapters.system.disk_space import StatvfsDiskSpace
from adapters.system.process_stats import ProcfsProcessStats
from adapters.system.storage import WritableDirectoryIndicator

__all__ = ["ProcfsProcessStats", "StatvfsDiskSpace", "WritableDirectoryIndicator"]
