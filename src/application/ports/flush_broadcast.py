"""Port: tell every node that a tenant's results were flushed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

# Called with the flushed tenant, or with None when announcements may have been missed
# (the node was cut off from the broadcast): then every tenant counts as flushed.
FlushHandler = Callable[[str | None], Awaitable[None]]


class FlushBroadcast(Protocol):
    """Delivers each announced tenant flush to every listening node, the announcer's included."""

    async def announce(self, tenant: str) -> int:
        """Announce a flush; answer how many nodes heard it. Raises `CacheUnavailable`."""
        ...

    async def listen(self, handler: FlushHandler) -> None:
        """Start handing announcements to `handler` until `close`; returns once listening
        (or once the first attempt failed: listening is then retried in the background)."""
        ...

    async def close(self) -> None: ...
