"""The operating system's resolver behind the `HostResolver` port."""

from __future__ import annotations

import asyncio
import socket
from ipaddress import ip_address

from application.errors import OriginUnresolvable
from application.ports.host_resolver import HostResolver
from domain.addresses import IPAddress


class SystemHostResolver(HostResolver):
    """Resolves through `getaddrinfo` (hosts file, then DNS), off the event loop.

    Every address of the answer is returned, IPv4 and IPv6, in the resolver's order; the caller
    checks each one before connecting.
    """

    async def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (OSError, UnicodeError) as exc:
            raise OriginUnresolvable(f"{host} does not resolve: {exc}") from exc
        addresses: dict[IPAddress, None] = {}
        for *_, sockaddr in answers:
            try:
                addresses[ip_address(sockaddr[0])] = None
            except ValueError:
                continue
        if not addresses:
            raise OriginUnresolvable(f"{host} resolved to no IP address")
        return tuple(addresses)
