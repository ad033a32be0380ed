"""Redis for the rate-limit tests: the shared one on 127.0.0.1:6379 under a prefix of the
test's own, or a private `redis-server` on a free port that a test may stop (always stopped).

    with RedisServer() as private:
        client = redis.Redis.from_url(private.url)
        private.stop()  # Redis is down from here on
"""

from __future__ import annotations

import uuid

import redis

from tests.support.redis_server import RedisProcess

SHARED_URL = "redis://127.0.0.1:6379/0"


def shared_redis_or_fail() -> redis.Redis:
    """A client of the shared Redis; the test fails (not skips) when there is none."""
    client = redis.Redis.from_url(SHARED_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise AssertionError(
            f"these tests need Redis on {SHARED_URL} (.ci/run starts one): {exc}"
        ) from exc
    return client


def unique_prefix() -> str:
    """A key prefix no other test run uses: `mstest:<uuid>:`."""
    return f"mstest:{uuid.uuid4().hex}:"


def delete_prefixed(client: redis.Redis, prefix: str) -> int:
    """Delete every key under `prefix`; answers how many went."""
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    return int(client.delete(*keys)) if keys else 0


# the private server of the cache tests: one helper for every test that stops a Redis
RedisServer = RedisProcess
