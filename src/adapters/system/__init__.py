"""Adapters to the operating system: file system usage (statvfs) and this process (/proc)."""

from adapters.system.disk_space import StatvfsDiskSpace
from adapters.system.process_stats import ProcfsProcessStats

__all__ = ["ProcfsProcessStats", "StatvfsDiskSpace"]
