"""A tenant-domain list held in memory: for tests and for a fixed set of tenant domains."""

from __future__ import annotations

from collections.abc import Iterable

from application.errors import TenantDomainsUnavailable
from application.ports.tenant_domain_source import TenantDomainSource


class MemoryTenantDomainSource(TenantDomainSource):
    """Answers the domains it holds, as given (normalising is the caller's job).

    Test-only features:

    - `domains` may be reassigned to change the next answer;
    - `fail_with(error)` makes every fetch raise `error` until `fail_with(None)`;
    - `fetches` counts the fetches, failed ones included; `closed` is True after `close()`.
    """

    def __init__(self, domains: Iterable[str] = ()) -> None:
        self.domains = tuple(domains)
        self.fetches = 0
        self.closed = False
        self._failure: TenantDomainsUnavailable | None = None

    async def fetch(self) -> tuple[str, ...]:
        self.fetches += 1
        if self._failure is not None:
            raise self._failure
        return self.domains

    async def close(self) -> None:
        self.closed = True

    def fail_with(self, error: TenantDomainsUnavailable | None) -> None:
        """Fail every fetch with `error` from now on (None: answer again)."""
        self._failure = error
