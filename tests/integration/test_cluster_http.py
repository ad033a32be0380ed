"""Several real `media-stream serve` nodes sharing Redis, over real HTTP, with a real origin.

Two nodes share the Redis on 127.0.0.1:6379 under a prefix of their own (deleted afterwards)
and each has its own disk directory, as two machines behind a load balancer would. The test
that stops Redis mid-way runs its own redis-server on a free port.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support import images
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.redis_server import RedisProcess, delete_prefix
from tests.support.server import RunningServer

PREFIX = "/media_stream-image/media/acme/uploads"
SECRET = "cluster-secret"
JPEG = images.jpeg(600, 400)


def photo(delay: float = 0.0) -> Reply:
    return Reply(headers={"Content-Type": "image/jpeg"}, body=JPEG, delay=delay)


ORIGIN_ROUTES = {
    f"/media/acme/uploads/{name}": photo() for name in ("shared.jpg", "flushed.jpg", "etag.jpg")
} | {
    "/media/acme/uploads/burst.jpg": photo(delay=0.5),
    "/media/acme/uploads/variants.jpg": photo(delay=0.3),
}


def url(name: str, width: int = 120, fmt: str = "webp") -> str:
    return f"{PREFIX}/{name}/{width}/80/cover/center/transparent/0/80.{fmt}"


def fetches(origin: LoopbackOrigin, name: str) -> int:
    return origin.paths.count(f"/media/acme/uploads/{name}")


def node_env(
    origin: LoopbackOrigin, cache_dir: Path, redis_url: str, prefix: str, **extra: str
) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(cache_dir),
        "LOG_LEVEL": "warning",
        "IMAGE_WORKER_THREADS": "1",
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": prefix,
        "INTERNAL_ADMIN_SECRET": SECRET,
        **extra,
    }


def get(node: RunningServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(node.url(path), headers=headers, timeout=30)


def flush(node: RunningServer, tenant: str) -> httpx.Response:
    return httpx.post(
        node.url("/admin/cache/flush-tenant"),
        json={"tenantSchema": tenant},
        headers={"X-Internal-Secret": SECRET},
        timeout=30,
    )


def until(check: object, within: float = 5.0) -> None:
    """Wait until `check()` is true (raising AssertionError if it never is)."""
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within}s: {check}")
        time.sleep(0.05)


def redis_keys(redis_url: str, pattern: str) -> int:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    try:
        return len(list(client.scan_iter(match=pattern, count=1000)))
    finally:
        client.close()


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ORIGIN_ROUTES) as running:
        yield running


@pytest.fixture(scope="module")
def cluster_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"mstest:{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture(scope="module")
def nodes(
    origin: LoopbackOrigin,
    redis_url: str,
    cluster_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, RunningServer]]:
    root = tmp_path_factory.mktemp("cluster")
    env_a = node_env(origin, root / "a", redis_url, cluster_prefix)
    env_b = node_env(origin, root / "b", redis_url, cluster_prefix)
    with (
        RunningServer(env_a, root / "a.log") as node_a,
        RunningServer(env_b, root / "b.log") as node_b,
    ):
        yield node_a, node_b


def test_a_second_node_answers_from_redis_and_then_from_its_memory(
    nodes: tuple[RunningServer, RunningServer], origin: LoopbackOrigin
) -> None:
    node_a, node_b = nodes

    made = get(node_a, url("shared.jpg"))
    shared = get(node_b, url("shared.jpg"))
    until(lambda: get(node_b, url("shared.jpg")).headers["x-cache"] == "HIT-MEMORY", within=2)

    assert made.headers["x-cache"] == "MISS"
    assert shared.headers["x-cache"] == "HIT-REDIS"
    assert shared.content == made.content
    assert shared.headers["etag"] == made.headers["etag"]
    assert images.open_image(shared.content).size == (120, 80)
    assert fetches(origin, "shared.jpg") == 1


def test_twenty_concurrent_identical_misses_on_two_nodes_fetch_and_transform_once(
    nodes: tuple[RunningServer, RunningServer], origin: LoopbackOrigin
) -> None:
    targets = [node.url(url("burst.jpg")) for node in nodes]

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(client.get(targets[i % 2]) for i in range(20)))

    responses = asyncio.run(burst())

    assert {response.status_code for response in responses} == {200}
    assert {response.headers.get("x-fallback") for response in responses} == {None}
    assert len({response.headers["etag"] for response in responses}) == 1
    assert {response.headers["x-cache"] for response in responses} <= {"MISS", "HIT-REDIS"}
    assert fetches(origin, "burst.jpg") == 1


def test_a_missing_original_is_asked_for_once_by_the_whole_cluster(
    nodes: tuple[RunningServer, RunningServer], origin: LoopbackOrigin
) -> None:
    node_a, node_b = nodes

    answers = [
        get(node_a, url("missing.jpg")),
        get(node_b, url("missing.jpg")),
        get(node_b, url("missing.jpg", width=60, fmt="png")),  # another variant, same original
    ]

    assert [answer.headers["x-fallback"] for answer in answers] == ["origin-not-found"] * 3
    assert fetches(origin, "missing.jpg") == 1


def test_variants_of_one_original_asked_together_fetch_it_once(
    nodes: tuple[RunningServer, RunningServer], origin: LoopbackOrigin
) -> None:
    node_a, _ = nodes
    targets = [node_a.url(url("variants.jpg", width=w)) for w in (40, 50, 60, 70, 80)]

    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(client.get(target) for target in targets))

    responses = asyncio.run(together())

    widths = sorted(images.open_image(response.content).size[0] for response in responses)
    assert widths == [40, 50, 60, 70, 80]
    assert fetches(origin, "variants.jpg") == 1


def test_a_flush_on_one_node_clears_every_layer_of_every_node(
    nodes: tuple[RunningServer, RunningServer],
    origin: LoopbackOrigin,
    redis_url: str,
    cluster_prefix: str,
) -> None:
    node_a, node_b = nodes
    get(node_a, url("flushed.jpg"))
    until(lambda: get(node_b, url("flushed.jpg")).headers["x-cache"] == "HIT-MEMORY", within=2)
    in_redis = redis_keys(redis_url, f"{cluster_prefix}result:acme:*")

    response = flush(node_a, "acme")
    body = response.json()
    until(lambda: get(node_b, url("flushed.jpg")).headers["x-cache"] != "HIT-MEMORY", within=2)

    assert response.status_code == 200
    assert body["flushed"] is True
    assert body["tenant"] == "acme"
    assert body["results"]["redis"] == in_redis > 0
    assert body["nodesNotified"] == 2
    assert fetches(origin, "flushed.jpg") == 2  # node b had to make it again
    assert get(node_a, url("flushed.jpg")).headers["x-cache"] == "HIT-REDIS"


def test_the_etag_survives_a_flush_so_a_client_still_gets_304(
    nodes: tuple[RunningServer, RunningServer], origin: LoopbackOrigin
) -> None:
    node_a, _ = nodes
    first = get(node_a, url("etag.jpg"))

    flush(node_a, "acme")
    again = get(node_a, url("etag.jpg"), **{"If-None-Match": first.headers["etag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["x-cache"] == "MISS"  # re-fetched and re-made: same bytes, same tag
    assert again.headers["etag"] == first.headers["etag"]
    assert fetches(origin, "etag.jpg") == 2


def test_flush_needs_the_secret(nodes: tuple[RunningServer, RunningServer]) -> None:
    node_a, _ = nodes
    refused = httpx.post(
        node_a.url("/admin/cache/flush-tenant"),
        json={"tenantSchema": "acme"},
        headers={"X-Internal-Secret": "guess"},
    )
    invalid = httpx.post(
        node_a.url("/admin/cache/flush-tenant"),
        json={"tenantSchema": "ACME"},
        headers={"X-Internal-Secret": SECRET},
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "UNAUTHORIZED"
    assert invalid.status_code == 400


def test_a_node_keeps_serving_quickly_while_redis_is_down_and_uses_it_again_when_back(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    with RedisProcess() as own_redis:
        env = node_env(
            origin,
            tmp_path / "cache",
            own_redis.url,
            "mstest:outage:",
            REDIS_RETRY_AFTER="200",
            REDIS_COMMAND_TIMEOUT="200",
            REDIS_CONNECT_TIMEOUT="200",
        )
        with RunningServer(env, tmp_path / "node.log") as node:
            before = get(node, url("shared.jpg", width=31))
            healthy = get(node, "/health")

            # Hanging: connections accepted, nothing answered; each command would time out.
            own_redis.freeze()
            hanging, hanging_for = timed_gets(node, [31, 32, 32, 33])
            health_down = get(node, "/health")
            ready = get(node, "/health/ready")

            # Gone: the process is stopped, connections are refused.
            own_redis.stop()
            stopped, stopped_for = timed_gets(node, [31, 34])

            own_redis.start()  # empty, as after a restart without persistence
            widths = iter(range(40, 200))
            until(
                lambda: (
                    get(node, url("shared.jpg", width=next(widths))).status_code == 200
                    and redis_keys(own_redis.url, "mstest:outage:result:*") > 0
                ),
                within=6,
            )
            until(lambda: get(node, "/health").json()["checks"]["redis"]["status"] == "up")
            health_back = get(node, "/health")

    assert before.headers["x-cache"] == "MISS"
    assert healthy.status_code == 200
    assert healthy.json()["checks"]["redis"]["status"] == "up"
    assert [r.headers["x-cache"] for r in hanging] == ["HIT-MEMORY", "MISS", "HIT-MEMORY", "MISS"]
    assert [r.headers["x-cache"] for r in stopped] == ["HIT-MEMORY", "MISS"]
    assert {r.status_code for r in hanging + stopped} == {200}
    assert {r.headers.get("x-fallback") for r in hanging + stopped} == {None}
    # Each miss makes several Redis calls: without the circuit, every one of them would wait
    # out the 200 ms command timeout (about 1 s per request while Redis hangs).
    assert hanging_for < 1.5
    assert stopped_for < 1.0
    assert health_down.status_code == 503
    assert health_down.json()["checks"]["redis"]["status"] == "down"
    assert health_down.json()["checks"]["disk"]["status"] == "up"
    assert ready.status_code == 200
    assert health_back.status_code == 200


def timed_gets(node: RunningServer, widths: list[int]) -> tuple[list[httpx.Response], float]:
    started = time.monotonic()
    responses = [get(node, url("shared.jpg", width=width)) for width in widths]
    return responses, time.monotonic() - started


def test_a_restarted_node_warms_its_memory_with_the_most_asked_results_and_keeps_disk_hits(
    origin: LoopbackOrigin, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    hot, cold = url("shared.jpg", width=90), url("shared.jpg", width=91)
    env = node_env(origin, tmp_path / "cache", redis_url, redis_prefix, CACHE_WARMING_TOP_N="1")
    with RunningServer(env, tmp_path / "first.log") as first:
        for _ in range(3):
            get(first, hot)
        made = get(first, cold)
    asked = fetches(origin, "shared.jpg")
    client = redis.Redis.from_url(redis_url)
    try:  # Redis lost its results (not its counts): only the disk holds them now
        client.delete(*client.keys(f"{redis_prefix}result:*"))
    finally:
        client.close()

    with RunningServer(env, tmp_path / "second.log") as second:
        warmed = get(second, hot)
        from_disk = get(second, cold)

    assert warmed.headers["x-cache"] == "HIT-MEMORY"
    assert from_disk.headers["x-cache"] == "HIT-DISK"
    assert from_disk.content == made.content
    assert fetches(origin, "shared.jpg") == asked
