"""Which client addresses count as internal (may see `/health/detailed`)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128")
)


@lru_cache(maxsize=4096)  # asked for every request, mostly of the same few peers
def is_internal_address(address: str | None) -> bool:
    """True for loopback, 10/8, 172.16/12 and 192.168/16 (IPv4-mapped IPv6 too), else False.

    Anything that is not an IP address (a missing or unix-socket peer) is not internal.
    """
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in INTERNAL_NETWORKS)
