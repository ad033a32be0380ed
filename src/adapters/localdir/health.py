"""Health of a local-directory origin: the directory is there and readable."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from application.ports.health import HealthIndicator, HealthReport, HealthStatus


class LocalDirectoryOriginIndicator(HealthIndicator):
    """`origin` of a `file://` BACKEND_URL: `up` while its root is a readable directory."""

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def name(self) -> str:
        return "origin"

    async def check(self) -> HealthReport:
        readable = await asyncio.to_thread(self._readable)
        if readable:
            return HealthReport(HealthStatus.UP, {"kind": "directory"})
        return HealthReport(
            HealthStatus.DOWN,
            {"kind": "directory", "error": "the BACKEND_URL directory is missing or unreadable"},
        )

    def _readable(self) -> bool:
        return self._root.is_dir() and os.access(self._root, os.R_OK | os.X_OK)
