"""An origin that lives in a dict: for tests and for embedding the service with known images."""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Mapping

from application.errors import OriginError, OriginNotFound
from application.ports.origin_fetcher import Original, OriginFetcher
from domain.request import ImageSource


class MemoryOriginFetcher(OriginFetcher):
    """Serves originals from a `{origin_path: bytes}` mapping (`ImageSource.origin_path`).

    An unknown path raises `OriginNotFound`. The claimed type is guessed from the path's
    extension, as a static file server would.

    Test-only features:

    - `put(path, data)` adds or replaces an original (and clears a failure set for it);
    - `fail_with(path, error)` makes every fetch of `path` raise `error` until `put` again;
    - `requests` lists the origin path of every fetch, in order, failed ones included;
    - `delay` (seconds) is slept before each answer, to hold fetches open for coalescing tests;
    - `closed` is True once `close()` was awaited.
    """

    def __init__(
        self,
        originals: Mapping[str, bytes] | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        self._originals = dict(originals or {})
        self._failures: dict[str, OriginError] = {}
        self.delay = delay
        self.requests: list[str] = []
        self.closed = False

    async def fetch(self, source: ImageSource) -> Original:
        path = source.origin_path
        self.requests.append(path)
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        failure = self._failures.get(path)
        if failure is not None:
            raise failure
        data = self._originals.get(path)
        if data is None:
            raise OriginNotFound(f"no original at {path}")
        return Original(data, mimetypes.guess_type(path)[0] or "")

    async def close(self) -> None:
        self.closed = True

    def put(self, path: str, data: bytes) -> None:
        """Serve `data` at `path` from now on."""
        self._failures.pop(path, None)
        self._originals[path] = data

    def fail_with(self, path: str, error: OriginError) -> None:
        """Make fetches of `path` raise `error` (the same instance each time)."""
        self._failures[path] = error
