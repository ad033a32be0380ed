"""A network backend that never touches the network, for tests of what would be connected to.

Test-only features:

- `connects` lists the `(host, port)` of every `connect_tcp`, in order;
- an address in `reachable` gets an empty in-memory stream, any other a `ConnectError`, so
  a test can name addresses outside loopback without a packet ever leaving the process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore


class RecordingNetworkBackend(httpcore.AsyncNetworkBackend):
    """Records connection attempts; connects only to `reachable`, and only in memory."""

    def __init__(self, reachable: Iterable[str] = ()) -> None:
        self.reachable = set(reachable)
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if host not in self.reachable:
            raise httpcore.ConnectError(f"{host} is unreachable (recording backend)")
        return httpcore.AsyncMockStream([])

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no unix sockets here")

    async def sleep(self, seconds: float) -> None:
        return None
