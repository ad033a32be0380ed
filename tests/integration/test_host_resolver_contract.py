"""The HostResolver contract, run on the system resolver and on the in-memory one.

Only names the machine answers itself (the hosts file's `localhost`) and IP literals are
asked, so the system resolver sends no DNS query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

import pytest

from adapters.httpx import SystemHostResolver
from adapters.memory import MemoryHostResolver
from application.errors import OriginUnresolvable
from application.ports.host_resolver import HostResolver


def system() -> HostResolver:
    return SystemHostResolver()


def memory() -> HostResolver:
    return MemoryHostResolver(
        {"localhost": ["127.0.0.1"], "127.0.0.1": ["127.0.0.1"], "::1": ["::1"]}
    )


RESOLVERS = [pytest.param(system, id="system"), pytest.param(memory, id="memory")]


@pytest.mark.parametrize("make", RESOLVERS)
def test_localhost_resolves_to_loopback(make: Callable[[], HostResolver]) -> None:
    addresses = asyncio.run(make().resolve("localhost", 80))
    assert IPv4Address("127.0.0.1") in addresses
    assert all(address.is_loopback for address in addresses)
    assert len(set(addresses)) == len(addresses)


@pytest.mark.parametrize("make", RESOLVERS)
@pytest.mark.parametrize(
    ("literal", "address"), [("127.0.0.1", IPv4Address("127.0.0.1")), ("::1", IPv6Address("::1"))]
)
def test_an_ip_literal_resolves_to_itself(
    make: Callable[[], HostResolver], literal: str, address: object
) -> None:
    assert asyncio.run(make().resolve(literal, 80)) == (address,)


def test_the_memory_resolver_answers_unknown_names_like_nxdomain() -> None:
    resolver = MemoryHostResolver({"a.test": ["127.0.0.1"]})
    with pytest.raises(OriginUnresolvable):
        asyncio.run(resolver.resolve("b.test", 80))
    resolver.pin("a.test")  # no addresses: the name stops resolving
    with pytest.raises(OriginUnresolvable):
        asyncio.run(resolver.resolve("A.test.", 80))
    assert resolver.lookups == [("b.test", 80), ("A.test.", 80)]


def test_the_system_resolver_refuses_a_name_it_cannot_encode() -> None:
    with pytest.raises(OriginUnresolvable):
        asyncio.run(SystemHostResolver().resolve("a" * 300, 80))
