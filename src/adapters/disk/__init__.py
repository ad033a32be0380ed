"""Disk adapter: the result cache layer that survives restarts, and its files as files."""

from adapters.disk.result_cache import DiskResultCache
from adapters.disk.result_files import DiskResultFiles

__all__ = ["DiskResultCache", "DiskResultFiles"]
