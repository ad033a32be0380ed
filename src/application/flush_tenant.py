"""Use cases: flush a tenant from every cache layer of every node, and hear such flushes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from application.errors import CacheUnavailable
from application.ports.access_counter import AccessCounter
from application.ports.flush_broadcast import FlushBroadcast
from application.ports.negative_cache import NegativeCache
from application.ports.result_cache import ResultCache
from application.tiered_cache import TieredResultCache
from application.tiered_negative_cache import TieredNegativeCache
from domain.tenant import checked_tenant

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TenantFlush:
    """What a flush removed: results per layer, remembered misses, access counts, and how
    many nodes heard the announcement. None marks a part that could not be reached."""

    tenant: str
    results: dict[str, int | None]
    missing: int | None
    access_counts: int | None
    nodes_notified: int | None

    @property
    def complete(self) -> bool:
        """True when every part was reached."""
        parts = [*self.results.values(), self.missing, self.access_counts, self.nodes_notified]
        return all(part is not None for part in parts)


class FlushTenant:
    """Drop a tenant's results from every layer, then announce it so every node drops its own.

    The tenant name is validated first (`InvalidRequest`). Parts that cannot be reached are
    reported as None rather than failing the rest: a flush does as much as it can.
    """

    def __init__(
        self,
        *,
        cache: TieredResultCache,
        missing: TieredNegativeCache,
        access: AccessCounter,
        broadcast: FlushBroadcast,
    ) -> None:
        self._cache = cache
        self._missing = missing
        self._access = access
        self._broadcast = broadcast

    async def __call__(self, tenant: str) -> TenantFlush:
        tenant = checked_tenant(tenant)
        results = await self._cache.flush_tenant(tenant)
        missing = await _reachable(self._missing.forget_tenant(tenant), "forgetting misses")
        counts = await _reachable(self._access.forget_tenant(tenant), "forgetting counts")
        notified = await _reachable(self._broadcast.announce(tenant), "announcing the flush")
        log.info("flushed tenant %s: %s", tenant, results)
        return TenantFlush(tenant, results, missing, counts, notified)


class ForgetFlushedTenants:
    """Applies a flush announced by any node to this node's own layers.

    `local_layers` and `local_missing` are the layers each node has for itself (memory, its
    disk); the shared ones were flushed by the announcer. When announcements may have been
    missed (None), every `volatile` store (the memory tier) is cleared: it refills from the
    layers below, which is cheaper than serving a flushed tenant's stale results.
    """

    def __init__(
        self,
        *,
        cache: TieredResultCache,
        local_layers: Sequence[ResultCache],
        missing: TieredNegativeCache,
        local_missing: Sequence[NegativeCache],
        volatile: Sequence[Callable[[], Awaitable[object]]],
    ) -> None:
        self._cache = cache
        self._local_layers = list(local_layers)
        self._missing = missing
        self._local_missing = list(local_missing)
        self._volatile = list(volatile)

    async def __call__(self, tenant: str | None) -> None:
        if tenant is None:
            log.warning("flush announcements may have been missed: clearing the memory tier")
            for clear in self._volatile:
                await clear()
            return
        tenant = checked_tenant(tenant)
        results = await self._cache.flush_tenant(tenant, self._local_layers)
        await self._missing.forget_tenant_in(tenant, self._local_missing)
        log.info("flush of tenant %s announced: removed %s here", tenant, results)


async def _reachable(count: Awaitable[int], what: str) -> int | None:
    try:
        return await count
    except CacheUnavailable:
        log.warning("%s failed: unreachable", what)
        return None
