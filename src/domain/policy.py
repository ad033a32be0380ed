"""Which upstream hosts the service may fetch from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class HostAllowList:
    """Hosts allowed exactly or with any subdomain, compared lower-case.

    The empty host (a local directory origin, no network) is always allowed.
    """

    domains: frozenset[str]

    @classmethod
    def of(cls, domains: list[str] | tuple[str, ...]) -> HostAllowList:
        """Normalised entries; a leading dot (`.example.com`) means the same as none."""
        normalised = (domain.strip().lower().strip(".") for domain in domains)
        return cls(frozenset(domain for domain in normalised if domain))

    def permits(self, host: str) -> bool:
        """True for the empty host, an allowed host, or any subdomain of one."""
        if not host:
            return True
        host = host.lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)


class HostPolicy(Protocol):
    """Decides whether the service may fetch from a host (`HostAllowList`, or a live view of it)."""

    def permits(self, host: str) -> bool: ...
