"""The app built by the container with Redis configured but nothing listening on its port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher
from entrypoints.http.app import make_litestar
from entrypoints.settings import Settings
from tests.support import images
from tests.support.node import node
from tests.support.server import free_port

URL = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"
SECRET = "s3cret"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        CACHE_FILE_DIRECTORY=tmp_path,
        IMAGE_WORKER_THREADS=1,
        INTERNAL_ADMIN_SECRET=SECRET,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    container = node(origin=origin, **settings.model_dump())
    with TestClient(app=make_litestar(container)) as test_client:
        yield test_client


def test_images_are_served_from_memory_and_disk_without_redis(client: TestClient) -> None:
    started = time.monotonic()
    statuses = [client.get(URL).headers["x-cache"] for _ in range(3)]
    assert statuses == ["MISS", "HIT-MEMORY", "HIT-MEMORY"]
    assert time.monotonic() - started < 2.0


def test_health_reports_redis_down_with_details_and_readiness_stays_up(
    client: TestClient,
) -> None:
    health = client.get("/health")
    ready = client.get("/health/ready")

    assert health.status_code == 503
    redis_check = health.json()["checks"]["redis"]
    assert redis_check["status"] == "down"
    assert "ConnectionError" in redis_check["details"]["error"]
    assert redis_check["details"]["flushSubscription"] == "reconnecting"
    assert health.json()["checks"]["memory_cache"]["status"] == "up"
    assert ready.status_code == 200


def test_a_flush_that_cannot_reach_redis_says_so_with_a_503(client: TestClient) -> None:
    client.get(URL)

    response = client.post(
        "/admin/cache/flush-tenant",
        json={"tenantSchema": "acme"},
        headers={"X-Internal-Secret": SECRET},
    )

    assert response.status_code == 503
    assert response.json() == {
        "flushed": False,
        "tenant": "acme",
        "results": {"memory": 1, "redis": None, "disk": 1},
        "missingOriginals": None,
        "accessCounts": 1,  # access counts live in the access index, reachable without Redis
        "nodesNotified": None,
    }
    assert client.get(URL).headers["x-cache"] == "MISS"  # what could be flushed, was
