"""The one HTTP edge (correlation, drain refusal, CORS, limits, security headers, report) and
the image answers' prepared heads, on the container's app with in-memory parts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from adapters.memory.metrics import MemoryMetrics
from application.tiered_cache import TieredResultCache
from domain.correlation import correlation_id, new_uuid4
from entrypoints.composition import Container
from entrypoints.http.app import make_app
from entrypoints.http.observability import MEDIA_ROUTE
from tests.support import images
from tests.support.node import node

URL = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"
PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"


@pytest.fixture
def metrics() -> MemoryMetrics:
    return MemoryMetrics()


@pytest.fixture
def container(tmp_path: Path, metrics: MemoryMetrics) -> Iterator[Container]:
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    memory_only = TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=10)])
    return node(
        tmp_path,
        origin=origin,
        result_cache=memory_only,
        metrics=metrics,
        CORS_ORIGIN=["https://shop.example"],
        RATE_LIMIT_IMAGE_MAX_REQUESTS=5,
    )


def test_a_hit_reuses_the_result_head_but_says_where_it_came_from(container: Container) -> None:
    with TestClient(app=make_app(container)) as client:
        miss, hit = client.get(URL), client.get(URL)
        head = client.head(URL)
        current = client.get(URL.replace("/40/", "/41/"))  # another result: its own head

    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT-MEMORY")
    assert miss.content == hit.content
    assert hit.content[:3] == b"\xff\xd8\xff"
    for answer in (miss, hit, head):
        assert answer.headers["etag"] == miss.headers["etag"]
        assert answer.headers["content-length"] == str(len(miss.content))
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
    assert head.content == b""
    assert current.headers["etag"] != miss.headers["etag"]


def test_a_current_copy_is_a_304_without_a_body_or_its_type(container: Container) -> None:
    with TestClient(app=make_app(container)) as client:
        etag = client.get(URL).headers["etag"]
        not_modified = client.get(URL, headers={"If-None-Match": etag})
        modified = client.get(URL, headers={"If-None-Match": '"other"'})

    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert "content-type" not in not_modified.headers
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["cache-control"].startswith("public, max-age=")
    assert modified.status_code == 200


def test_every_answer_carries_one_correlation_id_and_the_edge_headers(
    container: Container,
) -> None:
    origin = {"Origin": "https://shop.example"}
    with TestClient(app=make_app(container)) as client:
        image = client.get(URL, headers={**origin, "X-Correlation-ID": "first"})
        missing = client.get("/no/such/page", headers=origin)
        refused = [client.get(URL).status_code for _ in range(5)][-1]
        limited = client.get(URL, headers={"X-Correlation-ID": "limited"})

    assert image.headers.get_list("x-correlation-id") == ["first"]
    assert image.headers["access-control-allow-origin"] == "https://shop.example"
    assert image.headers["vary"] == "Origin"
    assert image.headers["x-ratelimit-limit"] == "5"
    assert image.headers["server-timing"].startswith("cache;dur=")
    assert missing.status_code == 404
    assert missing.headers["content-security-policy"] == PAGE_CSP
    assert missing.json()["correlationId"] == missing.headers["x-correlation-id"]
    assert refused == 429
    assert limited.status_code == 429
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["correlationId"] == "limited" == limited.headers["x-correlation-id"]
    assert limited.headers["x-content-type-options"] == "nosniff"


def test_while_draining_the_refusal_is_secured_and_counted(
    container: Container, metrics: MemoryMetrics
) -> None:
    with TestClient(app=make_app(container)) as client:
        container.core.lifecycle().begin_drain()
        refused = client.get(URL, headers={"Origin": "https://shop.example"})

    assert refused.status_code == 503
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert refused.headers["content-security-policy"] == PAGE_CSP
    assert refused.headers["access-control-allow-origin"] == "https://shop.example"
    assert refused.headers["server-timing"].startswith("total;dur=")
    assert uuid.UUID(refused.headers["x-correlation-id"]).version == 4
    assert (
        metrics.value(
            "mediastream_http_requests_total",
            method="GET",
            route=MEDIA_ROUTE,
            status="503",
            tenant="",
        )
        == 1
    )
    assert metrics.value("mediastream_requests_in_flight") == 0


def test_new_correlation_ids_are_distinct_rfc_4122_version_4_uuids() -> None:
    made = {new_uuid4() for _ in range(2000)}

    assert len(made) == 2000
    for text in list(made)[:200]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text
    assert correlation_id("bad id!") != "bad id!"
    assert uuid.UUID(correlation_id(None)).version == 4
