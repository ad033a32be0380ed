"""An origin that is a directory on this machine (a `file://` BACKEND_URL)."""

from __future__ import annotations

import asyncio
import errno
import mimetypes
import os
import stat
from pathlib import Path
from typing import BinaryIO

from application.errors import OriginNotFound, OriginTooLarge, OriginUnavailable
from application.ports.origin_fetcher import Original, OriginFetcher
from domain.request import ImageSource

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# O_NONBLOCK keeps a FIFO swapped in after the type check from hanging the read.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class LocalDirectoryOriginFetcher(OriginFetcher):
    """Reads `root / source.origin_path`, never anything outside `root`.

    The path is resolved with every symlink followed; what does not land inside the resolved
    root, is not a regular file, or cannot be read answers `OriginNotFound`, without saying
    which. Symlinks that stay inside the root are followed. A file over `max_bytes` raises
    `OriginTooLarge`; a root that does not exist raises `OriginUnavailable`. Reads run in
    worker threads, off the event loop.

    A symlink swapped into an intermediate directory between the check and the open is not
    guarded against: the root's content is trusted to the operator, not to clients.
    """

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self._root = Path(root)
        self._max_bytes = max_bytes

    async def fetch(self, source: ImageSource) -> Original:
        data = await asyncio.to_thread(self._read, source.origin_path)
        return Original(data, mimetypes.guess_type(source.origin_path)[0] or "")

    async def close(self) -> None:
        return None

    def _read(self, origin_path: str) -> bytes:
        path = self._confined(origin_path)
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            raise _translated(exc, origin_path) from exc
        try:
            self._check(os.fstat(fd), origin_path)
            with os.fdopen(fd, "rb", closefd=False) as file:
                return self._read_capped(file, origin_path)
        finally:
            os.close(fd)

    def _confined(self, origin_path: str) -> str:
        """The real path of `origin_path`, or `OriginNotFound` when it escapes the root."""
        try:
            root = os.path.realpath(self._root, strict=True)
        except OSError as exc:
            raise OriginUnavailable(f"origin directory {self._root} is missing") from exc
        try:
            path = os.path.realpath(os.path.join(root, origin_path))
        except ValueError as exc:  # an embedded NUL
            raise OriginNotFound(f"no original at {origin_path}") from exc
        if os.path.commonpath([root, path]) != root or path == root:
            raise OriginNotFound(f"no original at {origin_path}")
        return path

    def _check(self, status: os.stat_result, origin_path: str) -> None:
        if not stat.S_ISREG(status.st_mode):
            raise OriginNotFound(f"no original at {origin_path}")
        if status.st_size > self._max_bytes:
            raise OriginTooLarge(f"{origin_path} has {status.st_size} bytes")

    def _read_capped(self, file: BinaryIO, origin_path: str) -> bytes:
        # One byte past the cap: the file may have grown since fstat.
        data = file.read(self._max_bytes + 1)
        if len(data) > self._max_bytes:
            raise OriginTooLarge(f"{origin_path} has more than {self._max_bytes} bytes")
        return data


# Errors that only say "not there for you": answered as not found, whatever the reason.
_HIDDEN_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.ELOOP, errno.EISDIR}
)


def _translated(exc: OSError, origin_path: str) -> OriginNotFound | OriginUnavailable:
    if exc.errno in _HIDDEN_ERRNOS:
        return OriginNotFound(f"no original at {origin_path}")
    return OriginUnavailable(f"reading {origin_path} failed: {exc.strerror}")
