"""Redis for the rate-limit tests: the shared one on 127.0.0.1:6379 under a prefix of the
test's own, or a private `redis-server` on a free port that a test may stop (always stopped).

    with RedisServer() as private:
        client = redis.Redis.from_url(private.url)
        private.stop()  # Redis is down from here on
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from types import TracebackType

import redis

from tests.support.server import free_port

SHARED_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 10.0


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


class RedisServer:
    """A private `redis-server` on a free loopback port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("these tests need redis-server on the PATH")
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)

    def _wait_ready(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while time.monotonic() < deadline:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise RuntimeError(f"redis-server on port {self.port} did not start")
