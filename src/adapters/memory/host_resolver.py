"""A resolver that answers from a table: for tests, and for pinning names to addresses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from ipaddress import ip_address

from application.errors import OriginUnresolvable
from application.ports.host_resolver import HostResolver
from domain.addresses import IPAddress


class MemoryHostResolver(HostResolver):
    """Resolves names from a `{name: [address, ...]}` table, compared lower-case.

    A name not in the table raises `OriginUnresolvable`, as a DNS NXDOMAIN would.

    Test-only features:

    - `pin(name, *addresses)` adds or replaces a name's answer (a DNS change, e.g. rebinding);
    - `lookups` lists every `(name, port)` asked, in order;
    - `delay` (seconds) is slept before each answer, to play a slow DNS server.
    """

    def __init__(
        self, table: Mapping[str, Iterable[str]] | None = None, *, delay: float = 0.0
    ) -> None:
        self._table: dict[str, tuple[IPAddress, ...]] = {}
        self.lookups: list[tuple[str, int]] = []
        self.delay = delay
        for name, addresses in (table or {}).items():
            self.pin(name, *addresses)

    async def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        self.lookups.append((host, port))
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        answer = self._table.get(host.lower().rstrip("."))
        if not answer:
            raise OriginUnresolvable(f"{host} does not resolve")
        return answer

    def pin(self, name: str, *addresses: str) -> None:
        """Answer `addresses` for `name` from now on (none: the name stops resolving)."""
        self._table[name.lower().rstrip(".")] = tuple(ip_address(a) for a in addresses)
