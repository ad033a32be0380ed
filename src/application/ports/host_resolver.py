"""Port: the addresses a host name resolves to."""

from __future__ import annotations

from typing import Protocol

from domain.addresses import IPAddress


class HostResolver(Protocol):
    """Answers every address of a DNS name (at least one), or raises `OriginUnresolvable`."""

    async def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]: ...
