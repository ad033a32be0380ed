"""Health of the storage directory: it exists (or can be made) and this process may write it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from application.ports.health import HealthIndicator, HealthReport, HealthStatus


class WritableDirectoryIndicator(HealthIndicator):
    """`storage`: `down` when CACHE_FILE_DIRECTORY (or, before it exists, the directory it
    would be made in) is not a directory this process can write; checked with `os.access`,
    nothing is written."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @property
    def name(self) -> str:
        return "storage"

    async def check(self) -> HealthReport:
        exists, writable = await asyncio.to_thread(self._probe)
        details: dict[str, bool | str] = {"exists": exists, "writable": writable}
        if not writable:
            details["error"] = "CACHE_FILE_DIRECTORY is not writable"
            return HealthReport(HealthStatus.DOWN, details)
        return HealthReport(HealthStatus.UP, details)

    def _probe(self) -> tuple[bool, bool]:
        target = self._directory.absolute()
        exists = target.is_dir()
        while not target.exists() and target != target.parent:
            target = target.parent
        return exists, target.is_dir() and os.access(target, os.W_OK | os.X_OK)
