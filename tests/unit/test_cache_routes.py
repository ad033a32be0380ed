"""The cache's HTTP routes on the app the container builds (no Redis): flush and health."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher
from entrypoints.composition import Container
from entrypoints.http.app import make_litestar
from tests.support import images
from tests.support.node import node

URL = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"
FLUSH = "/admin/cache/flush-tenant"
SECRET = "s3cret-for-tests"
AUTHORISED = {"X-Internal-Secret": SECRET}


def container_for(tmp_path: Path, **settings: object) -> Container:
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    return node(tmp_path, origin=origin, **settings)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app=make_litestar(container_for(tmp_path, INTERNAL_ADMIN_SECRET=SECRET))) as c:
        yield c


def test_a_flush_drops_the_tenant_from_memory_and_disk(client: TestClient) -> None:
    client.get(URL)
    cached = client.get(URL)

    flushed = client.post(
        FLUSH, json={"tenantSchema": "acme"}, headers={"X-Internal-Secret": SECRET}
    )
    after = client.get(URL)

    assert cached.headers["x-cache"] == "HIT-MEMORY"
    assert flushed.status_code == 200
    assert flushed.json() == {
        "flushed": True,
        "tenant": "acme",
        "results": {"memory": 1, "disk": 1},
        "missingOriginals": 0,
        "accessCounts": 1,
        "nodesNotified": 1,
    }
    assert flushed.headers["cache-control"] == "no-store"
    assert after.headers["x-cache"] == "MISS"
    assert after.headers["etag"] == cached.headers["etag"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_a_flush_without_the_right_secret_is_a_401(
    client: TestClient,
    secret: str | None,
) -> None:
    client.get(URL)
    headers = {} if secret is None else {"X-Internal-Secret": secret}

    response = client.post(FLUSH, json={"tenantSchema": "acme"}, headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert client.get(URL).headers["x-cache"] == "HIT-MEMORY"


def test_a_flush_is_a_401_when_no_secret_is_configured(tmp_path: Path) -> None:
    with TestClient(app=make_litestar(container_for(tmp_path))) as client:
        response = client.post(
            FLUSH, json={"tenantSchema": "acme"}, headers={"X-Internal-Secret": ""}
        )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b'{"tenantSchema": "Acme"}',
        b'{"tenantSchema": "../etc"}',
        b'{"tenantSchema": 7}',
        b'{"tenant": "acme"}',
        b'["acme"]',
        b"not json",
        b"",
    ],
)
def test_a_flush_of_an_invalid_tenant_is_a_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        FLUSH,
        content=body,
        headers={"X-Internal-Secret": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


def test_health_reports_every_cache_indicator(client: TestClient) -> None:
    client.get(URL)
    client.get(URL)

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up"
    checks = body["checks"]
    assert checks["redis"] == {"status": "up", "details": {"configured": False}}
    assert checks["memory_cache"]["status"] == "up"
    assert checks["memory_cache"]["details"]["entries"] == 1
    assert checks["memory_cache"]["details"]["hits"] == 1
    assert checks["storage"]["status"] == "up"
    assert checks["disk"]["details"]["freeBytes"] > 0
    assert checks["cache"]["details"] == {
        "memoryHits": 1,
        "memoryMisses": 1,
        "diskHits": 0,
        "diskMisses": 1,
    }


def test_health_is_a_503_with_details_when_the_disk_cannot_be_written(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with TestClient(app=make_litestar(container_for(blocked))) as client:
        response = client.get("/health")
        ready = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["storage"]["status"] == "down"
    assert "error" in response.json()["checks"]["storage"]["details"]
    assert ready.status_code == 200
