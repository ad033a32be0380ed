"""Port: the current list of the tenants' own domains, from the shop's backend."""

from __future__ import annotations

from typing import Protocol


class TenantDomainSource(Protocol):
    """Answers the tenants' domains as sent, or raises `TenantDomainsUnavailable`."""

    async def fetch(self) -> tuple[str, ...]: ...

    async def close(self) -> None: ...
