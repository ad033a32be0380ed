"""Tenant flush announcements delivered within one process."""

from __future__ import annotations

import logging

from application.ports.flush_broadcast import FlushBroadcast, FlushHandler

log = logging.getLogger(__name__)


class MemoryFlushBroadcast(FlushBroadcast):
    """Hands each announcement to every handler listening on this instance, in order.

    One node alone needs nothing more; several simulated nodes share one instance. A handler
    that raises is logged and skipped, as a node that fails must not stop the others.

    Test-only feature: `announced` lists every announced tenant.
    """

    def __init__(self) -> None:
        self._handlers: list[FlushHandler] = []
        self.announced: list[str] = []

    async def announce(self, tenant: str) -> int:
        self.announced.append(tenant)
        for handler in list(self._handlers):
            try:
                await handler(tenant)
            except Exception:
                log.exception("a flush handler failed for tenant %s", tenant)
        return len(self._handlers)

    async def listen(self, handler: FlushHandler) -> None:
        self._handlers.append(handler)

    async def close(self) -> None:
        self._handlers.clear()
