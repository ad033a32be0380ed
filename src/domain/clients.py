"""Who sent a request: the peer, or the client a trusted proxy names in `X-Forwarded-For`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# a longer chain is an attack on the parser, not a real route through proxies
MAX_FORWARDED_HOPS = 32
# parsed addresses remembered: a node sees the same peers (its proxies, its clients) again and
# again, and parsing one costs more than the rest of a rate-limit decision
ADDRESSES_REMEMBERED = 4096


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The networks whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`); empty = none."""

    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: tuple[str, ...] | list[str]) -> TrustedProxies:
        """CIDRs or single addresses; raises ValueError naming a bad entry."""
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from exc
        return cls(tuple(networks))

    def trusts(self, address: str) -> bool:
        """Whether `address` is one of the trusted proxies."""
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer unless it is trusted, else the right-most entry of
        `X-Forwarded-For` that is not a trusted proxy (entries to its left are the client's
        own claims and could be anything)."""
        if not forwarded_for or not self.trusts(peer):
            return _canonical(peer)
        hops = forwarded_for.split(",")[-MAX_FORWARDED_HOPS:]
        leftmost: IPAddress | None = None
        for hop in reversed(hops):
            leftmost = _address(hop)
            if leftmost is None:
                # written by our own proxy, but not an address: stop believing the chain here
                return _canonical(peer)
            if not any(leftmost in network for network in self.networks):
                return str(leftmost)
        # a chain of trusted proxies only: the first of them sent the request
        return str(leftmost) if leftmost is not None else _canonical(peer)


@lru_cache(maxsize=ADDRESSES_REMEMBERED)
def network_of(client: str) -> str:
    """What one client controls: its IPv4 address, or the /64 of an IPv6 one (a single
    subscriber is routinely given a whole /64, so its addresses must share one bucket)."""
    parsed = _address(client)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else client


@lru_cache(maxsize=ADDRESSES_REMEMBERED)
def _address(text: str) -> IPAddress | None:
    candidate = text.strip()
    if candidate.startswith("[") and "]" in candidate:  # "[v6]:port" as some proxies write it
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "v4:port"
        candidate = candidate.partition(":")[0]
    try:
        parsed = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


@lru_cache(maxsize=ADDRESSES_REMEMBERED)
def _canonical(peer: str) -> str:
    parsed = _address(peer)
    return str(parsed) if parsed is not None else peer
