"""Disk adapter: the result cache layer that survives restarts."""

from adapters.disk.result_cache import DiskResultCache

__all__ = ["DiskResultCache"]
