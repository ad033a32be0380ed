"""The real server protecting itself: rate limits shared through Redis, counting on while Redis
is down, a bounded render queue answering 503, and the render time budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.images import jpeg, open_image
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.redis_private import (
    SHARED_URL,
    RedisServer,
    delete_prefixed,
    shared_redis_or_fail,
    unique_prefix,
)
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

PHOTO = "/media_stream-image/media/acme/uploads/photo.jpg/{width}/60/cover/center/FFF/0/80.webp"
HEAVY = "/media_stream-image/media/acme/uploads/heavy.svg/{width}/400/inside/center/FFF/0/80.png"
# 300 blurred layers: rendered from the smallest canvas this still takes resvg seconds
HEAVY_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    '<filter id="f"><feGaussianBlur stdDeviation="9"/></filter>'
    + '<rect width="100" height="100" fill="#36c" filter="url(#f)"/>' * 300
    + "</svg>"
).encode()


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    routes = {
        "/media/acme/uploads/photo.jpg": Reply(body=jpeg(320, 240)),
        "/media/acme/uploads/heavy.svg": Reply(body=HEAVY_SVG),
    }
    with LoopbackOrigin(routes) as running:
        yield running


def env(origin: LoopbackOrigin, root: Path, **settings: str) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(root / "cache"),
        "LOG_LEVEL": "warning",
        "IMAGE_WORKER_THREADS": "1",
        **settings,
    }


def get(server: RunningServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url(path), headers=headers, timeout=30)


# --- rate limits through Redis ---------------------------------------------------------------


def test_two_nodes_share_their_limits_in_redis_per_forwarded_client(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    redis = shared_redis_or_fail()
    prefix = unique_prefix()
    settings = env(
        origin,
        tmp_path,
        REDIS_URL=SHARED_URL,
        RATE_LIMIT_KEY_PREFIX=prefix,
        RATE_LIMIT_MAX_REQUESTS="4",
        RATE_LIMIT_STRATEGY="fixed",
        RATE_LIMIT_WINDOW_MS="60000",
        TRUSTED_PROXIES="127.0.0.1",
    )
    try:
        with (
            RunningServer(settings, tmp_path / "a.log") as node_a,
            RunningServer(settings, tmp_path / "b.log") as node_b,
        ):
            alice = {"X-Forwarded-For": "203.0.113.1"}
            answers = [get(node, "/robots.txt", **alice) for node in (node_a, node_b) * 3]
            bob = get(node_a, "/robots.txt", **{"X-Forwarded-For": "6.6.6.6, 203.0.113.2"})
            probe = get(node_b, "/health/live", **alice)
            stored = sorted(key.decode() for key in redis.scan_iter(match=prefix + "*"))
    finally:
        delete_prefixed(redis, prefix)
        redis.close()

    assert [answer.status_code for answer in answers] == [200] * 4 + [429] * 2
    assert [answer.headers["x-ratelimit-remaining"] for answer in answers[:4]] == [
        "3",
        "2",
        "1",
        "0",
    ]
    refused = answers[4]
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert int(refused.headers["retry-after"]) >= 1
    assert bob.status_code == 200  # another client behind the same proxy
    assert probe.status_code == 200
    assert [key.split("{")[1].split("}")[0] for key in stored] == [
        "static:203.0.113.1",
        "static:203.0.113.2",
    ]


def test_with_redis_stopped_the_node_keeps_answering_fast_and_limiting(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    with RedisServer() as private:
        settings = env(
            origin,
            tmp_path,
            REDIS_URL=private.url,
            RATE_LIMIT_KEY_PREFIX="mstest:",
            RATE_LIMIT_MAX_REQUESTS="5",
            RATE_LIMIT_STRATEGY="fixed",
        )
        with RunningServer(settings, tmp_path / "server.log") as server:
            before = [get(server, "/robots.txt").status_code for _ in range(2)]
            private.stop()

            started = time.monotonic()
            after = [get(server, "/robots.txt") for _ in range(7)]
            elapsed = time.monotonic() - started
            image = get(server, PHOTO.format(width=80))

            log = server.log_text()

    assert before == [200, 200]
    assert elapsed < 3.0  # 7 requests: no per-request Redis timeout
    assert [answer.status_code for answer in after] == [200] * 5 + [429] * 2
    assert all("x-ratelimit-limit" in answer.headers for answer in after)
    assert image.status_code == 200
    assert "rate-limit store unavailable" in log


# --- backpressure and time budget ------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_server(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("busy")
    settings = env(
        origin,
        root,
        IMAGE_QUEUE_MAX="1",
        IMAGE_PROCESSING_TIMEOUT="1000",
        RATE_LIMIT_ENABLED="false",
    )
    with RunningServer(settings, root / "server.log") as running:
        yield running


def rasterisers(server: RunningServer) -> list[str]:
    """Command lines of the server's child processes that are SVG rasterisers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    lines = []
    for child in children:
        try:
            lines.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except FileNotFoundError:
            continue  # ended meanwhile
    return [line for line in lines if "resvg_child" in line]


def test_a_render_over_its_budget_answers_the_fallback_and_frees_the_worker(
    busy_server: RunningServer,
) -> None:
    started = time.monotonic()
    slow = get(busy_server, HEAVY.format(width=401))
    elapsed = time.monotonic() - started

    assert slow.status_code == 200
    assert slow.headers["x-fallback"] == "processing-timeout"
    assert slow.headers["cache-control"] == "public, max-age=60"
    assert elapsed < 5
    time.sleep(0.5)
    assert rasterisers(busy_server) == []  # killed, not left painting
    photo = get(busy_server, PHOTO.format(width=81))
    assert photo.status_code == 200
    assert "x-fallback" not in photo.headers
    assert open_image(photo.content).size == (81, 60)


def test_a_full_render_queue_answers_503_at_once_instead_of_piling_up(
    busy_server: RunningServer,
) -> None:
    urls = [busy_server.url(HEAVY.format(width=500 + n)) for n in range(8)]

    async def burst() -> list[tuple[httpx.Response, float]]:
        async with httpx.AsyncClient(timeout=30) as client:

            async def timed(address: str) -> tuple[httpx.Response, float]:
                started = time.monotonic()
                response = await client.get(address)
                return response, time.monotonic() - started

            return list(await asyncio.gather(*(timed(address) for address in urls)))

    answers = asyncio.run(burst())

    assert {response.status_code for response, _ in answers} <= {200, 503}
    refused = [(response, took) for response, took in answers if response.status_code == 503]
    for response, _ in refused:
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
        assert response.headers["retry-after"] == "1"
    # one render runs and one waits (and may give up after the budget): six are refused at once
    assert len([took for _, took in refused if took < 0.5]) >= 6
    assert busy_server.alive
    time.sleep(2.5)  # the admitted renders end (or are killed at their deadline)
    assert get(busy_server, PHOTO.format(width=82)).status_code == 200
