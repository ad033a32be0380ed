"""Which upstream hosts the service may fetch from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.addresses import canonical_host, parse_host
from domain.errors import AmbiguousHost


class HostPolicy(Protocol):
    """Answers whether originals may be fetched from a host."""

    def permits(self, host: str) -> bool: ...


class NamingHostPolicy(HostPolicy, Protocol):
    """A host policy that also tells whether an entry names a host exactly."""

    def names(self, host: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class HostAllowList:
    """Hosts allowed exactly or with any subdomain, compared lower-case.

    The empty host (a local directory origin, no network) is always allowed. An IP-literal
    entry allows that address only (never "subdomains" of it), and a host spelling an address
    in a non-canonical form (`0x7f.1`) is never allowed.
    """

    domains: frozenset[str]

    @classmethod
    def of(cls, domains: list[str] | tuple[str, ...]) -> HostAllowList:
        """Normalised entries; a leading dot (`.example.com`) means the same as none.

        Raises `AmbiguousHost` for an entry such as `2130706433` or `0x7f.1`.
        """
        normalised = (canonical_host(domain.strip().strip(".")) for domain in domains)
        return cls(frozenset(domain for domain in normalised if domain))

    def permits(self, host: str) -> bool:
        """True for the empty host, an allowed host, or any subdomain of an allowed name."""
        if not host:
            return True
        name = _canonical_or_none(host)
        if not name:
            return False
        if name in self.domains:
            return True
        if _is_address(name):
            return False
        return any(name.endswith("." + domain) for domain in self.domains)

    def names(self, host: str) -> bool:
        """True when an entry names `host` exactly (a subdomain match does not count)."""
        name = _canonical_or_none(host)
        return bool(name) and name in self.domains


def _canonical_or_none(host: str) -> str | None:
    try:
        return canonical_host(host)
    except AmbiguousHost:
        return None


def _is_address(name: str) -> bool:
    return parse_host(name) is not None
