"""Redirects and address checks of HttpxOriginFetcher, against two real loopback origins.

`first` (127.0.0.1) is the BACKEND_URL origin and redirects; `second` (127.0.0.2) plays every
host a redirect may point at. Names are resolved by a `MemoryHostResolver` stub that only
ever answers loopback addresses: no test sends a packet anywhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.httpx import HttpxOriginFetcher
from adapters.memory import MemoryHostResolver
from application.errors import OriginError, OriginRefused
from application.origin_hosts import OriginHosts
from application.tenant_domains import TenantDomains
from domain.policy import HostAllowList
from domain.request import ImageSource, SourceKind
from tests.support.origin_bodies import CAPS, FAST, NO_RETRY, PNG
from tests.support.origin_server import LoopbackOrigin, Reply

IMAGE = Reply(headers={"Content-Type": "image/png"}, body=PNG)
START = "/static/images/start.png"
SOURCE = ImageSource(SourceKind.STATIC, "public", "start.png")


@pytest.fixture
def first() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin({"/final.png": IMAGE}, host="127.0.0.1") as origin:
        yield origin


@pytest.fixture
def second() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin({"/elsewhere.png": IMAGE}, host="127.0.0.2") as origin:
        yield origin


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, {"Location": location})


def fetch(
    first: LoopbackOrigin,
    *,
    allowed: tuple[str, ...] = ("127.0.0.1",),
    tenants: tuple[str, ...] = (),
    resolver: MemoryHostResolver | None = None,
) -> bytes | OriginError:
    """Fetch START from `first` with this policy: the bytes, or the error raised."""
    tenant_domains = TenantDomains(enabled=True)
    tenant_domains.replace(frozenset(tenants), now=0.0)
    hosts = OriginHosts(HostAllowList.of(allowed), tenant_domains)
    options: dict[str, Any] = {"timeouts": FAST, "caps": CAPS, "retry": NO_RETRY}

    async def scenario() -> bytes | OriginError:
        fetcher = HttpxOriginFetcher(
            first.base_url, hosts=hosts, resolver=resolver or MemoryHostResolver(), **options
        )
        try:
            return (await fetcher.fetch(SOURCE)).data
        except OriginError as exc:
            return exc
        finally:
            await fetcher.close()

    return asyncio.run(scenario())


def test_a_chain_of_three_redirects_within_the_host_is_followed(first: LoopbackOrigin) -> None:
    first.route(START, redirect("/hop/1", 301))
    first.route("/hop/1", redirect(first.url("/hop/2"), 307))
    first.route("/hop/2", redirect("../final.png", 308))

    assert fetch(first) == PNG
    assert first.paths == [START, "/hop/1", "/hop/2", "/final.png"]


def test_a_fourth_redirect_is_refused_without_being_followed(first: LoopbackOrigin) -> None:
    for hop in range(4):
        first.route(f"/hop/{hop}", redirect(f"/hop/{hop + 1}"))
    first.route(START, redirect("/hop/1"))

    assert isinstance(fetch(first), OriginRefused)
    assert first.paths == [START, "/hop/1", "/hop/2", "/hop/3"]


def test_a_redirect_to_a_loopback_host_not_allowed_is_never_connected_to(
    first: LoopbackOrigin, second: LoopbackOrigin
) -> None:
    first.route(START, redirect(second.url("/elsewhere.png")))

    answer = fetch(first)

    assert isinstance(answer, OriginRefused)
    assert "allow-list" in str(answer)
    assert second.requests == []


def test_a_redirect_to_an_address_the_allow_list_names_is_followed(
    first: LoopbackOrigin, second: LoopbackOrigin
) -> None:
    first.route(START, redirect(second.url("/elsewhere.png")))

    assert fetch(first, allowed=("127.0.0.1", "127.0.0.2")) == PNG
    assert second.paths == ["/elsewhere.png"]


def test_a_name_allowed_by_its_parent_domain_may_not_resolve_to_loopback(
    first: LoopbackOrigin, second: LoopbackOrigin
) -> None:
    resolver = MemoryHostResolver({"cdn.shop.test": ["127.0.0.2"]})
    first.route(START, redirect(f"http://cdn.shop.test:{second.port}/elsewhere.png"))

    answer = fetch(first, allowed=("127.0.0.1", "shop.test"), resolver=resolver)

    assert isinstance(answer, OriginRefused)
    assert "127.0.0.2" in str(answer)
    assert resolver.lookups == [("cdn.shop.test", second.port)]
    assert second.requests == []


def test_a_name_the_allow_list_names_connects_to_the_address_it_was_checked_at(
    first: LoopbackOrigin, second: LoopbackOrigin
) -> None:
    resolver = MemoryHostResolver({"cdn.shop.test": ["127.0.0.2"]})
    first.route(START, redirect(f"http://cdn.shop.test:{second.port}/elsewhere.png"))

    assert fetch(first, allowed=("127.0.0.1", "cdn.shop.test"), resolver=resolver) == PNG
    [request] = second.requests
    assert request.headers["host"] == f"cdn.shop.test:{second.port}"


def test_a_tenant_domain_is_followed_but_never_to_an_internal_address(
    first: LoopbackOrigin, second: LoopbackOrigin
) -> None:
    resolver = MemoryHostResolver({"images.tenant.test": ["127.0.0.2"]})
    first.route(START, redirect(f"http://images.tenant.test:{second.port}/elsewhere.png"))

    answer = fetch(first, tenants=("tenant.test",), resolver=resolver)

    assert isinstance(answer, OriginRefused)
    assert resolver.lookups == [("images.tenant.test", second.port)]  # allowed, then checked
    assert second.requests == []


def test_a_host_in_neither_list_is_not_even_resolved(
    first: LoopbackOrigin, second: LoopbackOrigin
) -> None:
    resolver = MemoryHostResolver({"evil.test": ["127.0.0.2"]})
    first.route(START, redirect(f"http://evil.test:{second.port}/elsewhere.png"))

    assert isinstance(fetch(first, tenants=("tenant.test",), resolver=resolver), OriginRefused)
    assert resolver.lookups == []
    assert second.requests == []


@pytest.mark.parametrize(
    "spelling",
    ["2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.1", "127.0.0.1.", "017700000001"],
)
def test_ambiguous_spellings_of_an_allowed_address_are_refused(
    first: LoopbackOrigin, spelling: str
) -> None:
    # Each one reaches 127.0.0.1, which is allowed, through inet_aton; none may be used.
    first.route(START, redirect(f"http://{spelling}:{first.port}/final.png"))

    assert isinstance(fetch(first), OriginRefused)
    assert first.paths == [START]


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/final.png",
        "http://user:secret@127.0.0.1:{port}/final.png",
        "http://[::ffff:127.0.0.1]:{port}/final.png",
    ],
)
def test_redirects_to_other_schemes_credentials_or_other_spellings_are_refused(
    first: LoopbackOrigin, location: str
) -> None:
    first.route(START, redirect(location.format(port=first.port)))

    assert isinstance(fetch(first), OriginRefused)
    assert first.paths == [START]


def test_a_redirect_without_location_is_refused(first: LoopbackOrigin) -> None:
    first.route(START, Reply(302))

    assert isinstance(fetch(first), OriginRefused)
