"""The real server on an operator's Node-service `.env`: its limits and probes keep working."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.images import jpeg
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

IMAGE = "/media_stream-image/media/acme/uploads/photo.jpg/{width}/40/cover/center/FFF/0/80.webp"


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    routes = {
        "/media/acme/uploads/photo.jpg": Reply(body=jpeg(160, 120)),
        "/api/health": Reply(status=503, body=b"down for maintenance"),
    }
    with LoopbackOrigin(routes) as running:
        yield running


def node_env_file(path: Path, origin: LoopbackOrigin, **extra: str) -> Path:
    values = {
        "NODE_ENV": "production",
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(path.parent / "storage"),
        "RATE_LIMIT_IMAGE_PROCESSING_MAX": "5",
        "RATE_LIMIT_IMAGE_PROCESSING_WINDOW_MS": "60000",
        "RATE_LIMIT_STRATEGY": "fixed",
        "STORAGE_MAX_SIZE": "1073741824",
        **extra,
    }
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


def test_the_node_image_limit_answers_429_on_the_sixth_request_while_probes_pass(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    env_file = node_env_file(tmp_path / ".env", origin)
    with RunningServer({"LOG_LEVEL": "info"}, tmp_path / "server.log", env_file=env_file) as server:
        answers = [httpx.get(server.url(IMAGE.format(width=40 + n)), timeout=30) for n in range(6)]
        live = [httpx.get(server.url("/health/live"), timeout=5) for _ in range(10)]
        log = server.log_text()

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert refused.headers["x-ratelimit-limit"] == "5"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert [answer.headers["x-ratelimit-limit"] for answer in answers[:5]] == ["5"] * 5
    assert {answer.status_code for answer in live} == {200}
    # what the .env holds but media-stream does not use is named at start-up
    assert "NODE_ENV is not used by media-stream" in log
    # STORAGE_* is honoured by storage management (ADR 22, 23): not reported
    assert "STORAGE_MAX_SIZE is not used" not in log


def test_the_node_health_check_urls_are_probed_and_a_failing_one_is_down(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    env_file = node_env_file(
        tmp_path / ".env",
        origin,
        HTTP_HEALTH_CHECK_URLS=origin.base_url + "/api/health",
        HTTP_HEALTH_CHECK_TIMEOUT="2000",
    )
    with RunningServer(
        {"LOG_LEVEL": "warning"}, tmp_path / "server.log", env_file=env_file
    ) as server:
        health = httpx.get(server.url("/health"), timeout=10)
        ready = httpx.get(server.url("/health/ready"), timeout=5)

    assert health.status_code == 503
    upstream = health.json()["checks"]["upstream"]
    assert upstream["status"] == "down"
    assert upstream["details"][origin.base_url + "/api/health"] == 503
    assert upstream["details"]["failing"] == 1
    assert ready.status_code == 200
    assert "/api/health" in origin.paths
