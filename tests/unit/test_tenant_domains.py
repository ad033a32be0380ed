"""Refreshing the tenants' domains, keeping the last good list, and the combined host policy
(in the use case too)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory import (
    FixedClock,
    MemoryOriginFetcher,
    MemoryResultCache,
    MemoryTenantDomainSource,
)
from application.errors import TenantDomainsUnavailable
from application.origin_hosts import OriginHosts
from application.serve_image import ImageQuery
from application.tenant_domains import RefreshTenantDomains, TenantDomains
from application.tiered_cache import TieredResultCache
from domain.errors import InvalidRequest
from domain.policy import HostAllowList
from domain.route import parse_image_path
from tests.fakes.processor import ScriptedImageProcessor
from tests.support.node import node, opened

T0 = 1_700_000_000.0


def world(*domains: str) -> tuple[RefreshTenantDomains, MemoryTenantDomainSource, TenantDomains]:
    source = MemoryTenantDomainSource(domains)
    tenants = TenantDomains(enabled=True)
    return (
        RefreshTenantDomains(source=source, domains=tenants, clock=FixedClock(T0)),
        source,
        tenants,
    )


def test_before_the_first_refresh_the_list_is_empty_and_never_refreshed() -> None:
    _, _, tenants = world("shop.tenant.test")
    status = tenants.status()
    assert status.never_refreshed
    assert (status.enabled, status.domains, status.refreshed_at) == (True, 0, None)
    assert not tenants.permits("shop.tenant.test")


def test_a_refresh_swaps_in_the_fetched_domains() -> None:
    refresh, _, tenants = world("Shop.Tenant.test", "other.test.")

    assert asyncio.run(refresh()) is True

    assert tenants.permits("shop.tenant.test")
    assert tenants.permits("cdn.shop.tenant.test")
    assert tenants.permits("other.test")
    assert not tenants.permits("tenant.test")
    assert not tenants.permits("")  # the local origin is the operator's business, not a tenant's
    status = tenants.status()
    assert (status.never_refreshed, status.domains, status.refreshed_at) == (False, 2, T0)


def test_a_failed_refresh_keeps_the_last_good_list() -> None:
    refresh, source, tenants = world("shop.tenant.test")
    asyncio.run(refresh())
    source.fail_with(TenantDomainsUnavailable("backend answered 502"))
    source.domains = ()

    assert asyncio.run(refresh()) is False
    assert asyncio.run(refresh()) is False

    assert tenants.permits("shop.tenant.test")
    status = tenants.status()
    assert (status.consecutive_failures, status.last_error) == (2, "backend answered 502")
    assert status.refreshed_at == T0


def test_a_failure_before_any_success_leaves_it_never_refreshed() -> None:
    refresh, source, tenants = world("shop.tenant.test")
    source.fail_with(TenantDomainsUnavailable("connection refused"))

    asyncio.run(refresh())

    assert tenants.status().never_refreshed
    assert tenants.status().attempted_at == T0


def test_entries_that_are_not_dns_names_are_dropped() -> None:
    refresh, _, tenants = world(
        "good.test", "127.0.0.1", "0x7f.1", "2130706433", "::1", "bad name.test", "", "-x.test"
    )

    asyncio.run(refresh())

    assert tenants.status().domains == 1
    assert tenants.permits("good.test")
    assert not tenants.permits("127.0.0.1")
    assert not tenants.permits("::1")


def test_run_forever_refreshes_until_cancelled() -> None:
    refresh, source, _ = world("a.test")

    async def scenario() -> None:
        task = asyncio.create_task(refresh.run_forever(0.01))
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(scenario())
    assert source.fetches >= 3


def test_origin_hosts_join_both_lists_but_only_the_operator_names_hosts() -> None:
    tenants = TenantDomains(enabled=True)
    tenants.replace(frozenset({"tenant.test"}), T0)
    hosts = OriginHosts(HostAllowList.of(["shop.example", "127.0.0.1"]), tenants)

    assert hosts.permits("cdn.shop.example")
    assert hosts.permits("img.tenant.test")
    assert hosts.permits("127.0.0.1")
    assert not hosts.permits("evil.test")
    assert hosts.names_explicitly("shop.example")
    assert hosts.names_explicitly("127.0.0.1")
    assert not hosts.names_explicitly("cdn.shop.example")
    assert not hosts.names_explicitly("tenant.test")  # a tenant's domain is never explicit


def test_the_memory_source_closes() -> None:
    source = MemoryTenantDomainSource()
    asyncio.run(source.close())
    assert source.closed


class BrokenSource(MemoryTenantDomainSource):
    """A source with a bug: it raises something no source may raise."""

    async def fetch(self) -> tuple[str, ...]:
        self.fetches += 1
        raise RuntimeError("bug")


def test_an_unexpected_error_is_a_failed_refresh_and_the_loop_goes_on() -> None:
    source = BrokenSource()
    tenants = TenantDomains(enabled=True)
    refresh = RefreshTenantDomains(source=source, domains=tenants, clock=FixedClock(T0))

    async def scenario() -> None:
        task = asyncio.create_task(refresh.run_forever(0.01))
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(scenario())
    assert source.fetches >= 3
    assert tenants.status().last_error == "unexpected RuntimeError"


def test_the_use_case_accepts_an_origin_host_that_only_the_tenant_list_allows() -> None:
    origin = MemoryOriginFetcher({"static/images/a.png": b"PNG"})
    container = node(
        origin=origin,
        processor=ScriptedImageProcessor(),
        result_cache=TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=10)]),
        clock=FixedClock(T0),
        fallback=b"FALLBACK",
        BACKEND_URL="https://img.tenant.test",
        VALIDATION_ALLOWED_DOMAINS="shop.example",
    )
    opened(container, container.imaging.serve_image)
    serve = container.imaging.serve_image()
    tenants = container.origin.tenant_domains()
    query = ImageQuery(
        parse_image_path("/media_stream-image/static/images/a.png/0/0/contain/center/FFF/0/80.png")
    )

    with pytest.raises(InvalidRequest):
        asyncio.run(serve(query))
    tenants.replace(frozenset({"tenant.test"}), T0)
    answer = asyncio.run(serve(query))

    assert answer.fallback is None
    assert origin.requests == ["static/images/a.png"]
