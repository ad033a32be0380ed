"""Redis for tests: the shared one on 127.0.0.1:6379 under a unique prefix, or our own process.

`RedisProcess` runs `redis-server --port P --save '' --appendonly no` on a free loopback port
as a subprocess. It can be stopped and started again on the same port (an empty Redis comes
back, as after a real restart without persistence), or frozen with SIGSTOP to play a Redis
that accepts connections and never answers. Leaving the `with` block, also on failure, kills
the process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from types import TracebackType

import redis

from tests.support.server import free_port

LOOPBACK = "127.0.0.1"
SHARED_PORT = 6379
START_TIMEOUT = 10.0


def answers_ping(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """True when a Redis on `host:port` answers PING."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def delete_prefix(url: str, prefix: str) -> int:
    """Delete every key under `prefix` (a test's own keys on a shared Redis)."""
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        names = list(client.scan_iter(match=prefix + "*", count=1000))
        return int(client.unlink(*names)) if names else 0
    finally:
        client.close()


class RedisProcess:
    """`with RedisProcess() as redis: ... redis.stop(); redis.start(); redis.url`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def __enter__(self) -> RedisProcess:
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
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed: the tests need it (see README)")
        self._process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not answers_ping(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)  # a frozen process cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is answered."""
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)
