"""Which upstream hosts the service may fetch from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HostAllowList:
    """Hosts allowed exactly or with any subdomain, compared lower-case.

    The empty host (a local directory origin, no network) is always allowed.
    """

    domains: frozenset[str]

    @classmethod
    def of(cls, domains: list[str] | tuple[str, ...]) -> HostAllowList:
        return cls(frozenset(d.strip().lower().rstrip(".") for d in domains if d.strip()))

    def permits(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if not host:
            return True
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)
