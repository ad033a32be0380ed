"""Address classification and host spellings (domain/addresses.py), and the allow-list on them."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from domain.addresses import (
    AddressClass,
    canonical_host,
    classify,
    embedded_ipv4,
    is_dns_name,
    parse_host,
    permits_connection,
)
from domain.errors import AmbiguousHost
from domain.policy import HostAllowList

# --- parse_host -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", IPv4Address("127.0.0.1")),
        ("0.0.0.0", IPv4Address("0.0.0.0")),
        ("203.0.113.7", IPv4Address("203.0.113.7")),
        ("::1", IPv6Address("::1")),
        ("[::1]", IPv6Address("::1")),
        ("::ffff:127.0.0.1", IPv6Address("::ffff:7f00:1")),
        ("2001:DB8::1", IPv6Address("2001:db8::1")),
    ],
)
def test_canonical_ip_literals_parse_to_their_address(host: str, address: object) -> None:
    assert parse_host(host) == address


@pytest.mark.parametrize(
    "host",
    ["example.com", "img.shop.example", "localhost", "1.2.3.example", "a1", "xn--bcher-kva.ch"],
)
def test_names_are_not_addresses(host: str) -> None:
    assert parse_host(host) is None


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # decimal 127.0.0.1
        "017700000001",  # octal 127.0.0.1
        "0x7f000001",  # hex 127.0.0.1
        "0177.0.0.1",  # octal first octet
        "0x7f.0.0.1",  # hex first octet
        "0x7f.1",  # two-part form
        "127.1",  # two-part decimal form
        "127.0.1",  # three-part form
        "127.000.000.001",  # leading zeros
        "127.0.0.1.",  # trailing dot
        "256.0.0.1",  # out of range
        "1.2.3.4.5",  # too many parts
        "example.0x10",  # a name ending in a number is read as an address by browsers
        "0x",
        "fe80::1%eth0",  # IPv6 zone
        "::ffff:127.0.0.1:80",  # not an address
    ],
)
def test_ambiguous_numeric_spellings_are_refused(host: str) -> None:
    with pytest.raises(AmbiguousHost):
        parse_host(host)


@pytest.mark.parametrize(
    ("host", "canonical"),
    [
        (" Example.COM. ", "example.com"),
        ("[::FFFF:127.0.0.1]", "::ffff:7f00:1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("127.0.0.1", "127.0.0.1"),
        ("", ""),
    ],
)
def test_canonical_host(host: str, canonical: str) -> None:
    assert canonical_host(host) == canonical


# --- classify ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        # always refused
        ("0.0.0.0", AddressClass.FORBIDDEN),
        ("0.1.2.3", AddressClass.FORBIDDEN),
        ("169.254.169.254", AddressClass.FORBIDDEN),  # cloud metadata
        ("169.254.0.1", AddressClass.FORBIDDEN),
        ("224.0.0.1", AddressClass.FORBIDDEN),
        ("239.255.255.250", AddressClass.FORBIDDEN),
        ("240.0.0.1", AddressClass.FORBIDDEN),
        ("255.255.255.255", AddressClass.FORBIDDEN),
        ("::", AddressClass.FORBIDDEN),
        ("fe80::1", AddressClass.FORBIDDEN),
        ("febf::1", AddressClass.FORBIDDEN),
        ("ff02::1", AddressClass.FORBIDDEN),
        ("ff0e::1", AddressClass.FORBIDDEN),
        # their IPv4-carrying IPv6 forms
        ("::ffff:169.254.169.254", AddressClass.FORBIDDEN),  # IPv4-mapped
        ("::169.254.169.254", AddressClass.FORBIDDEN),  # IPv4-compatible
        ("::ffff:0.0.0.0", AddressClass.FORBIDDEN),
        ("::ffff:224.0.0.1", AddressClass.FORBIDDEN),
        ("2002:a9fe:a9fe::1", AddressClass.FORBIDDEN),  # 6to4 of 169.254.169.254
        ("64:ff9b::a9fe:a9fe", AddressClass.FORBIDDEN),  # NAT64 of 169.254.169.254
        ("64:ff9b::e000:1", AddressClass.FORBIDDEN),  # NAT64 of 224.0.0.1
        # internal: allowed only for a host the allow-list names
        ("127.0.0.1", AddressClass.INTERNAL),
        ("127.255.255.254", AddressClass.INTERNAL),
        ("10.1.2.3", AddressClass.INTERNAL),
        ("172.16.0.1", AddressClass.INTERNAL),
        ("172.31.255.255", AddressClass.INTERNAL),
        ("192.168.1.1", AddressClass.INTERNAL),
        ("100.64.0.1", AddressClass.INTERNAL),  # carrier-grade NAT
        ("192.0.2.1", AddressClass.INTERNAL),  # documentation
        ("198.18.0.1", AddressClass.INTERNAL),  # benchmarking
        ("::1", AddressClass.INTERNAL),
        ("fc00::1", AddressClass.INTERNAL),
        ("fd12:3456::1", AddressClass.INTERNAL),
        ("fec0::1", AddressClass.INTERNAL),  # site-local: Python 3.11 calls it global
        ("2001:db8::1", AddressClass.INTERNAL),
        ("::ffff:127.0.0.1", AddressClass.INTERNAL),  # Python 3.11: not is_loopback
        ("::ffff:10.0.0.1", AddressClass.INTERNAL),
        ("::127.0.0.1", AddressClass.INTERNAL),  # Python 3.11 calls it global
        ("2002:7f00:1::", AddressClass.INTERNAL),  # 6to4 of 127.0.0.1, "global" to 3.11
        ("64:ff9b::7f00:1", AddressClass.INTERNAL),  # NAT64 of 127.0.0.1, "global" to 3.11
        ("64:ff9b:1::a00:1", AddressClass.INTERNAL),  # local-use NAT64 prefix
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass.INTERNAL),  # Teredo
        # public
        ("93.184.216.34", AddressClass.PUBLIC),
        ("8.8.8.8", AddressClass.PUBLIC),
        ("172.32.0.1", AddressClass.PUBLIC),
        ("2606:4700::1111", AddressClass.PUBLIC),
        ("::ffff:8.8.8.8", AddressClass.PUBLIC),
        ("64:ff9b::808:808", AddressClass.PUBLIC),
    ],
)
def test_classify(address: str, expected: AddressClass) -> None:
    assert classify(ip_address(address)) is expected


def test_an_ipv6_address_with_a_zone_is_forbidden() -> None:
    assert classify(IPv6Address("fe80::1%eth0")) is AddressClass.FORBIDDEN
    assert classify(IPv6Address("2606:4700::1%1")) is AddressClass.FORBIDDEN


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("::1.2.3.4", "1.2.3.4"),
        ("2002:102:304::", "1.2.3.4"),
        ("64:ff9b::102:304", "1.2.3.4"),
        ("::1", None),
        ("2606:4700::1111", None),
    ],
)
def test_embedded_ipv4(address: str, inner: str | None) -> None:
    expected = IPv4Address(inner) if inner else None
    assert embedded_ipv4(IPv6Address(address)) == expected


@pytest.mark.parametrize(
    ("address", "explicit", "allowed"),
    [
        ("93.184.216.34", False, True),
        ("93.184.216.34", True, True),
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("::ffff:127.0.0.1", True, True),
        ("10.0.0.1", False, False),
        ("169.254.169.254", True, False),
        ("::ffff:169.254.169.254", True, False),
        ("0.0.0.0", True, False),
        ("ff02::1", True, False),
    ],
)
def test_permits_connection(address: str, explicit: bool, allowed: bool) -> None:
    assert permits_connection(ip_address(address), host_named_explicitly=explicit) is allowed


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("shop.example", True),
        ("a-b.c_d.example", True),
        ("x", True),
        ("Shop.example", False),
        ("-bad.example", False),
        ("bad-.example", False),
        ("a..b", False),
        ("127.0.0.1", False),
        ("0x7f.1", False),
        ("with space.example", False),
        ("", False),
        ("a" * 64 + ".example", False),
    ],
)
def test_is_dns_name(text: str, valid: bool) -> None:
    assert is_dns_name(text) is valid


# --- the allow-list on addresses --------------------------------------------------------------


def test_an_address_entry_allows_that_address_only() -> None:
    allowed = HostAllowList.of(["127.0.0.1", "[::1]", "shop.example"])
    assert allowed.permits("127.0.0.1")
    assert allowed.permits("::1")
    assert allowed.permits("[0:0::1]")
    assert not allowed.permits("127.0.0.2")
    assert not allowed.permits("1.127.0.0.1")
    assert not allowed.permits("2130706433")
    assert not allowed.permits("0x7f.1")


def test_an_address_never_matches_as_a_subdomain_of_an_entry() -> None:
    allowed = HostAllowList(frozenset({"0.1"}))  # built raw: `of` would refuse the entry
    assert not allowed.permits("127.0.0.1")


@pytest.mark.parametrize("entry", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1"])
def test_an_ambiguous_entry_is_refused(entry: str) -> None:
    with pytest.raises(AmbiguousHost):
        HostAllowList.of([entry])


def test_names_matches_exact_entries_only() -> None:
    allowed = HostAllowList.of(["shop.example", "127.0.0.1"])
    assert allowed.names("shop.example")
    assert allowed.names("SHOP.example.")
    assert allowed.names("127.0.0.1")
    assert not allowed.names("cdn.shop.example")  # permitted, but not named
    assert allowed.permits("cdn.shop.example")
    assert not allowed.names("")
    assert not allowed.names("0x7f.1")
