"""The TenantDomainSource contract on the HTTP source (a loopback backend) and the memory one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator

import pytest

from adapters.httpx import HttpxTenantDomainSource
from adapters.memory import MemoryTenantDomainSource
from application.errors import TenantDomainsUnavailable
from application.ports.tenant_domain_source import TenantDomainSource
from tests.support.origin_server import LoopbackOrigin, Reply

DOMAINS = ["shop.tenant-a.test", "tenant-b.test"]
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def backend() -> Iterator[LoopbackOrigin]:
    routes = {
        "/domains": Reply(headers=JSON, body=json.dumps(DOMAINS).encode()),
        "/wrapped": Reply(headers=JSON, body=json.dumps({"domains": DOMAINS}).encode()),
        "/down": Reply(502, body=b"bad gateway"),
        "/html": Reply(headers={"Content-Type": "text/html"}, body=b"<html>login</html>"),
        "/numbers": Reply(headers=JSON, body=b"[1, 2, 3]"),
        "/object": Reply(headers=JSON, body=b'{"tenants": []}'),
        "/moved": Reply(302, {"Location": "/domains"}),
        "/slow": Reply(headers=JSON, body=b"[]", delay=3.0),
    }
    with LoopbackOrigin(routes) as origin:
        yield origin


def fetched(source: TenantDomainSource) -> tuple[str, ...] | TenantDomainsUnavailable:
    async def scenario() -> tuple[str, ...] | TenantDomainsUnavailable:
        try:
            return await source.fetch()
        except TenantDomainsUnavailable as exc:
            return exc
        finally:
            await source.close()

    return asyncio.run(scenario())


def http_source(backend: LoopbackOrigin, path: str) -> TenantDomainSource:
    return HttpxTenantDomainSource(backend.url(path), "s3cret", timeout=0.5)


def memory_source(backend: LoopbackOrigin, path: str) -> TenantDomainSource:
    source = MemoryTenantDomainSource(DOMAINS)
    if path == "/down":
        source.fail_with(TenantDomainsUnavailable("down"))
    return source


SOURCES = [pytest.param(http_source, id="httpx"), pytest.param(memory_source, id="memory")]
Make = Callable[[LoopbackOrigin, str], TenantDomainSource]


@pytest.mark.parametrize("make", SOURCES)
def test_the_list_comes_back_as_sent(backend: LoopbackOrigin, make: Make) -> None:
    assert fetched(make(backend, "/domains")) == tuple(DOMAINS)


@pytest.mark.parametrize("make", SOURCES)
def test_a_failing_source_raises_tenant_domains_unavailable(
    backend: LoopbackOrigin, make: Make
) -> None:
    assert isinstance(fetched(make(backend, "/down")), TenantDomainsUnavailable)


def test_the_http_source_sends_the_internal_token(backend: LoopbackOrigin) -> None:
    before = len(backend.requests)
    fetched(http_source(backend, "/domains"))
    request = backend.requests[before]
    assert request.headers["x-internal-token"] == "s3cret"


def test_the_http_source_reads_a_wrapped_list(backend: LoopbackOrigin) -> None:
    assert fetched(http_source(backend, "/wrapped")) == tuple(DOMAINS)


@pytest.mark.parametrize("path", ["/html", "/numbers", "/object", "/moved", "/slow", "/missing"])
def test_the_http_source_refuses_anything_but_a_list_of_names(
    backend: LoopbackOrigin, path: str
) -> None:
    assert isinstance(fetched(http_source(backend, path)), TenantDomainsUnavailable)
