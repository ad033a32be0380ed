"""The tenants' own domains: refreshed from the shop's backend, the last good list kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from application.errors import TenantDomainsUnavailable
from application.ports.clock import Clock
from application.ports.tenant_domain_source import TenantDomainSource
from domain.addresses import canonical_host, is_dns_name
from domain.errors import AmbiguousHost
from domain.policy import HostAllowList

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TenantDomainsStatus:
    """How current the tenant-domain list is, for health reports (times in epoch seconds)."""

    enabled: bool
    domains: int
    refreshed_at: float | None  # last successful refresh; None: never refreshed
    attempted_at: float | None
    consecutive_failures: int
    last_error: str | None

    @property
    def never_refreshed(self) -> bool:
        return self.refreshed_at is None


class TenantDomains:
    """The tenants' domains as last refreshed; each allows itself and its subdomains.

    Starts empty ("never refreshed") and only changes through `replace` and `failed`.
    """

    def __init__(self, *, enabled: bool = False) -> None:
        self._enabled = enabled
        self._allowed = HostAllowList(frozenset())
        self._refreshed_at: float | None = None
        self._attempted_at: float | None = None
        self._failures = 0
        self._last_error: str | None = None
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every `replace` (the allowed domains may have changed)."""
        self._listeners.append(listener)

    def permits(self, host: str) -> bool:
        """True when `host` is a tenant domain or a subdomain of one (never the empty host)."""
        return bool(host) and self._allowed.permits(host)

    def replace(self, domains: frozenset[str], now: float) -> None:
        """Swap in a freshly fetched list (already normalised)."""
        self._allowed = HostAllowList(domains)
        self._refreshed_at = self._attempted_at = now
        self._failures = 0
        self._last_error = None
        for listener in self._listeners:
            listener()

    def failed(self, error: str, now: float) -> None:
        """Note a failed refresh; the current list stays."""
        self._attempted_at = now
        self._failures += 1
        self._last_error = error

    def status(self) -> TenantDomainsStatus:
        return TenantDomainsStatus(
            enabled=self._enabled,
            domains=len(self._allowed.domains),
            refreshed_at=self._refreshed_at,
            attempted_at=self._attempted_at,
            consecutive_failures=self._failures,
            last_error=self._last_error,
        )


class RefreshTenantDomains:
    """Use case: fetch the tenants' domains and swap them in, keeping the last good list when
    the fetch fails. Entries that are not DNS names (IP literals, numeric spellings, junk) are
    dropped: a tenant can name a host, never an address."""

    def __init__(self, *, source: TenantDomainSource, domains: TenantDomains, clock: Clock):
        self._source = source
        self._domains = domains
        self._clock = clock

    async def __call__(self) -> bool:
        """Refresh once; True when the list was replaced."""
        try:
            fetched = await self._source.fetch()
        except TenantDomainsUnavailable as exc:
            log.warning("tenant domains not refreshed, keeping the last list: %s", exc)
            self._domains.failed(str(exc), self._clock.now())
            return False
        self._domains.replace(_valid_names(fetched), self._clock.now())
        return True

    async def run_forever(self, interval: float) -> None:
        """Refresh now and then every `interval` seconds until cancelled; an unexpected error
        is logged and counted as a failed refresh, and never ends the loop."""
        while True:
            try:
                await self()
            except Exception as exc:
                log.exception("tenant domains not refreshed: unexpected error")
                self._domains.failed(f"unexpected {type(exc).__name__}", self._clock.now())
            await asyncio.sleep(interval)


def _valid_names(entries: tuple[str, ...]) -> frozenset[str]:
    names: set[str] = set()
    for entry in entries:
        try:
            name = canonical_host(entry.strip(".") if entry.startswith(".") else entry)
        except AmbiguousHost:
            name = ""
        if is_dns_name(name):
            names.add(name)
        else:
            log.warning("tenant domain %r ignored: not a DNS name", entry[:100])
    return frozenset(names)
