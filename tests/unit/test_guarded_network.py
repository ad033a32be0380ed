"""GuardedNetworkBackend: addresses are checked where connections are opened.

The real backend is replaced by a recording one, so addresses outside loopback (metadata,
private, public) can be named without a packet being sent; names come from a resolver stub.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from ipaddress import ip_address
from typing import TypeVar

import httpcore
import pytest

from adapters.httpx import AddressRefused, GuardedNetworkBackend
from adapters.memory import MemoryHostResolver
from application.origin_hosts import OriginHosts
from application.tenant_domains import TenantDomains
from domain.policy import HostAllowList
from tests.fakes.network import RecordingNetworkBackend

T = TypeVar("T")
PUBLIC = "93.184.216.34"


def run(coroutine: Coroutine[object, object, T]) -> T:
    return asyncio.run(coroutine)


def guarded(
    table: dict[str, list[str]],
    *,
    allowed: tuple[str, ...] = ("shop.example", "origin.shop.example", "127.0.0.1"),
    reachable: tuple[str, ...] = (PUBLIC, "127.0.0.1", "10.0.0.5"),
    delay: float = 0.0,
) -> tuple[GuardedNetworkBackend, RecordingNetworkBackend, MemoryHostResolver]:
    inner = RecordingNetworkBackend(reachable)
    resolver = MemoryHostResolver(table, delay=delay)
    hosts = OriginHosts(HostAllowList.of(allowed), TenantDomains())
    return GuardedNetworkBackend(hosts, resolver, inner), inner, resolver


def test_a_public_address_is_connected_to_by_address_not_by_name() -> None:
    backend, inner, _ = guarded({"cdn.shop.example": [PUBLIC]})

    run(backend.connect_tcp("cdn.shop.example", 443))

    assert inner.connects == [(PUBLIC, 443)]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "::1", "::ffff:10.0.0.5", "fd00::1"])
def test_an_internal_address_needs_a_host_the_allow_list_names(address: str) -> None:
    backend, inner, _ = guarded({"cdn.shop.example": [address], "origin.shop.example": [address]})

    with pytest.raises(AddressRefused, match="not named"):
        run(backend.connect_tcp("cdn.shop.example", 80))  # allowed only as a subdomain
    assert inner.connects == []

    canonical = str(ip_address(address))
    inner.reachable.add(canonical)
    run(backend.connect_tcp("origin.shop.example", 80))  # named exactly
    assert inner.connects == [(canonical, 80)]


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::",
        "0.0.0.0",
        "::",
        "fe80::1",
        "224.0.0.251",
        "255.255.255.255",
    ],
)
def test_forbidden_addresses_are_refused_even_for_named_hosts(address: str) -> None:
    backend, inner, _ = guarded({"origin.shop.example": [address]})

    with pytest.raises(AddressRefused):
        run(backend.connect_tcp("origin.shop.example", 80))
    assert inner.connects == []


def test_one_internal_address_among_public_ones_refuses_the_name() -> None:
    backend, inner, _ = guarded({"cdn.shop.example": [PUBLIC, "10.0.0.5"]})

    with pytest.raises(AddressRefused):
        run(backend.connect_tcp("cdn.shop.example", 80))
    assert inner.connects == []


def test_every_connection_resolves_and_checks_again() -> None:
    # DNS rebinding: the name is checked at each connect, by the address that is then used.
    backend, inner, resolver = guarded({"cdn.shop.example": [PUBLIC]})
    run(backend.connect_tcp("cdn.shop.example", 80))

    resolver.pin("cdn.shop.example", "127.0.0.1")
    with pytest.raises(AddressRefused):
        run(backend.connect_tcp("cdn.shop.example", 80))

    assert inner.connects == [(PUBLIC, 80)]
    assert len(resolver.lookups) == 2


def test_an_ip_literal_is_checked_as_it_is_without_resolving() -> None:
    backend, inner, resolver = guarded({})

    run(backend.connect_tcp("127.0.0.1", 8080))  # named in the allow-list
    with pytest.raises(AddressRefused):
        run(backend.connect_tcp("127.0.0.2", 8080))

    assert inner.connects == [("127.0.0.1", 8080)]
    assert resolver.lookups == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "fe80::1%lo"])
def test_an_ambiguous_host_is_refused_before_resolving(host: str) -> None:
    backend, inner, resolver = guarded({host: ["127.0.0.1"]})

    with pytest.raises(AddressRefused):
        run(backend.connect_tcp(host, 80))
    assert resolver.lookups == []
    assert inner.connects == []


def test_the_next_address_is_tried_when_one_does_not_answer() -> None:
    backend, inner, _ = guarded(
        {"cdn.shop.example": ["2606:4700::1111", PUBLIC]}, reachable=(PUBLIC,)
    )

    run(backend.connect_tcp("cdn.shop.example", 80))

    assert inner.connects == [("2606:4700::1111", 80), (PUBLIC, 80)]


def test_no_answer_from_any_address_is_a_connect_error() -> None:
    backend, _, _ = guarded({"cdn.shop.example": [PUBLIC]}, reachable=())

    with pytest.raises(httpcore.ConnectError):
        run(backend.connect_tcp("cdn.shop.example", 80))


def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    backend, inner, _ = guarded({})

    with pytest.raises(httpcore.ConnectError, match="does not resolve"):
        run(backend.connect_tcp("missing.shop.example", 80))
    assert inner.connects == []


def test_a_slow_resolver_is_bounded_by_the_connect_timeout() -> None:
    backend, inner, _ = guarded({"cdn.shop.example": [PUBLIC]}, delay=5.0)

    with pytest.raises(httpcore.ConnectTimeout):
        run(backend.connect_tcp("cdn.shop.example", 80, timeout=0.05))
    assert inner.connects == []


def test_unix_sockets_are_refused() -> None:
    backend, _, _ = guarded({})

    with pytest.raises(AddressRefused):
        run(backend.connect_unix_socket("/var/run/docker.sock"))
