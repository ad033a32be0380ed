"""Which host spellings name an address, and which addresses the service may connect to.

Two questions, both pure:

- `parse_host(host)`: is this host an IP literal, a DNS name, or an ambiguous numeric spelling?
  Resolvers and browsers read `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` as 127.0.0.1
  (inet_aton rules); this service only accepts the canonical dotted quad and IPv6 literals, and
  refuses every other host that ends in a number (the WHATWG URL rule), so no spelling can
  smuggle an address past an allow-list that compares text.
- `classify(address)`: `PUBLIC`, `INTERNAL` (loopback, private, shared, documentation and other
  non-global ranges) or `FORBIDDEN` (unspecified, link-local, multicast, reserved, broadcast).
  IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
  `::a.b.c.d`, 6to4 `2002::/16`, NAT64 `64:ff9b::/96`, Teredo) are judged by the IPv4 address
  inside, which is where the packets end up.

`permits_connection` combines them with the host policy: public addresses are always fine,
internal ones only for a host the operator named explicitly, forbidden ones never.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TypeAlias

from domain.errors import AmbiguousHost

IPAddress: TypeAlias = IPv4Address | IPv6Address


class AddressClass(StrEnum):
    """How far an address may be trusted as a connection target."""

    PUBLIC = "public"  # globally routable
    INTERNAL = "internal"  # loopback, private and other non-global ranges
    FORBIDDEN = "forbidden"  # never a sane origin: unspecified, link-local, multicast, reserved


_FORBIDDEN_V4 = tuple(
    IPv4Network(network)
    for network in (
        "0.0.0.0/8",  # "this network", 0.0.0.0 included
        "169.254.0.0/16",  # link-local: cloud metadata endpoints live here
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, 255.255.255.255 included
    )
)
_FORBIDDEN_V6 = tuple(
    IPv6Network(network)
    for network in (
        "::/128",  # unspecified
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    )
)
# Non-global ranges that Python 3.11's `is_global` still calls global.
_INTERNAL_V6 = tuple(IPv6Network(network) for network in ("fec0::/10", "64:ff9b:1::/48"))
_IPV4_COMPATIBLE = IPv6Network("::/96")
_NAT64 = IPv6Network("64:ff9b::/96")

_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_CANONICAL_OCTET = re.compile(r"0|[1-9][0-9]{0,2}")


def parse_host(host: str) -> IPAddress | None:
    """The address an IP-literal host names, or None for a DNS name.

    Accepts a canonical dotted-quad IPv4 address and an IPv6 address (with or without
    brackets, no zone). Raises `AmbiguousHost` for any other host that ends in a number
    (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`, `127.0.0.1.`), for an IPv6 zone and for an
    invalid IPv6 literal.
    """
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in text:
        return _ipv6_literal(text)
    labels = text.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    if not _NUMERIC_LABEL.fullmatch(labels[-1]):
        return None
    if len(labels) != 4 or text.endswith(".") or not all(map(_is_octet, labels)):
        raise AmbiguousHost(f"{host!r} is a non-canonical spelling of an IPv4 address")
    return IPv4Address(text)


def _ipv6_literal(text: str) -> IPv6Address:
    if "%" in text:
        raise AmbiguousHost(f"{text!r}: IPv6 zones are not accepted")
    try:
        return IPv6Address(text)
    except ValueError as exc:
        raise AmbiguousHost(f"{text!r} is not an IPv6 address") from exc


def _is_octet(label: str) -> bool:
    return bool(_CANONICAL_OCTET.fullmatch(label)) and int(label) <= 255


def canonical_host(host: str) -> str:
    """A host as allow-lists compare it: trimmed, lower-case, without brackets, a DNS name
    without its trailing dot, an IP literal in canonical form. `AmbiguousHost` as `parse_host`."""
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    address = parse_host(text)
    return str(address) if address is not None else text.rstrip(".")


def classify(address: IPAddress) -> AddressClass:
    """Public, internal or forbidden; IPv6 forms carrying an IPv4 address are judged by it."""
    if isinstance(address, IPv4Address):
        return _classify_v4(address)
    return _classify_v6(address)


def _classify_v4(address: IPv4Address) -> AddressClass:
    if any(address in network for network in _FORBIDDEN_V4):
        return AddressClass.FORBIDDEN
    return AddressClass.PUBLIC if address.is_global else AddressClass.INTERNAL


def _classify_v6(address: IPv6Address) -> AddressClass:
    if address.scope_id is not None or any(address in network for network in _FORBIDDEN_V6):
        return AddressClass.FORBIDDEN
    inner = embedded_ipv4(address)
    if inner is not None:
        verdict = _classify_v4(inner)
        if address.teredo is not None and verdict is AddressClass.PUBLIC:
            return AddressClass.INTERNAL  # a tunnel endpoint, not a web origin
        return verdict
    if any(address in network for network in _INTERNAL_V6) or not address.is_global:
        return AddressClass.INTERNAL
    return AddressClass.PUBLIC


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    low32 = IPv4Address(int(address) & 0xFFFF_FFFF)
    if address in _NAT64:
        return low32
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
        return low32
    return None


def permits_connection(address: IPAddress, *, host_named_explicitly: bool) -> bool:
    """Whether connecting to `address` is allowed; internal ranges need an explicit host."""
    verdict = classify(address)
    if verdict is AddressClass.PUBLIC:
        return True
    return verdict is AddressClass.INTERNAL and host_named_explicitly


_DNS_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def is_dns_name(text: str) -> bool:
    """True for a lower-case DNS name of valid labels (no IP literal, no trailing dot)."""
    if not text or len(text) > 253 or text != text.lower():
        return False
    try:
        if parse_host(text) is not None:
            return False
    except AmbiguousHost:
        return False
    return all(_DNS_LABEL.fullmatch(label) for label in text.split("."))
