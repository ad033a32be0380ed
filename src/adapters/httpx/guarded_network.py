"""Connections that can only reach addresses the policy allows, checked when they are opened.

httpcore opens every connection through a network backend's `connect_tcp(host, port)`.
`GuardedNetworkBackend` wraps the real backend: it resolves the name itself (through the
`HostResolver` port), checks every address with `domain.addresses.permits_connection`, and
then connects the real backend to the checked address itself, not to the name. What was checked
is what is connected to, so a DNS answer that changes between a check and the connect (DNS
rebinding) cannot slip through. TLS still verifies the certificate against the name: httpcore
passes the URL's host as `server_hostname` to `start_tls`, whatever address the socket has.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from application.errors import OriginUnresolvable
from application.origin_hosts import OriginHosts
from application.ports.host_resolver import HostResolver
from domain.addresses import IPAddress, classify, parse_host, permits_connection
from domain.errors import AmbiguousHost

SocketOption = Any  # httpcore's own alias for setsockopt arguments


class AddressRefused(Exception):
    """A connection refused by the address policy before any packet was sent."""


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects only to addresses `permits_connection` allows.

    IP-literal hosts are checked as they are; an ambiguous numeric host (`0x7f.1`) is refused;
    a name is resolved and refused if any of its addresses is not allowed (so a name cannot
    mix a public and a private answer). Internal addresses are allowed only for hosts that
    `hosts.names_explicitly` accepts. Unix sockets are refused.
    """

    def __init__(
        self,
        hosts: OriginHosts,
        resolver: HostResolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._hosts = hosts
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.checked_addresses(host, port, timeout)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return WideReads(stream)
            except httpcore.ConnectError as exc:  # try the next address of the name
                failure = exc
        assert failure is not None  # checked_addresses never answers an empty tuple
        raise failure

    async def checked_addresses(
        self, host: str, port: int, resolve_within: float | None = None
    ) -> tuple[IPAddress, ...]:
        """The addresses to try for `host`, all allowed, or `AddressRefused`."""
        try:
            literal = parse_host(host)
        except AmbiguousHost as exc:
            raise AddressRefused(str(exc)) from exc
        addresses = (
            (literal,) if literal is not None else await self._resolve(host, port, resolve_within)
        )
        explicit = self._hosts.names_explicitly(host)
        for address in addresses:
            if not permits_connection(address, host_named_explicitly=explicit):
                raise AddressRefused(
                    f"{host} is at {address}, a {classify(address).value} address"
                    + ("" if explicit else " (the host is not named in the allow-list)")
                )
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are not origins")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _resolve(self, host: str, port: int, within: float | None) -> tuple[IPAddress, ...]:
        try:
            async with asyncio.timeout(within):
                return await self._resolver.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from exc
        except OriginUnresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from exc


# httpcore asks its stream for 64 KiB at a time; originals are megabytes, and each read is a
# trip through h11, httpcore and httpx (docs/performance.md: the reads were about half of the
# HTTP process's busy time on a miss). The socket answers what it has, up to this much.
READ_BYTES = 1024 * 1024


class WideReads(httpcore.AsyncNetworkStream):
    """A connection whose reads take up to `READ_BYTES` at once, whatever httpcore asks."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max(max_bytes, READ_BYTES), timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
    ) -> httpcore.AsyncNetworkStream:
        return WideReads(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own HTTP transport, opening its connections through a guarded backend."""

    def __init__(self, backend: GuardedNetworkBackend, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx 0.28 has no public parameter for the network backend (encode/httpx#3749 adds
        # one), so the pool built above is replaced by the same pool over the guarded backend.
        # The adapter's tests connect through it, so a change in httpx cannot go unnoticed.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
