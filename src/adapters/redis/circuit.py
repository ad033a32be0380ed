"""The node's way to Redis, with a quick failure path when Redis is away."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from application.errors import CacheUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

# A refused or dropped connection, or no answer in time: Redis is away, not wrong.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
LONGEST_PAUSE_FACTOR = 8


class _Pass(Enum):
    CLOSED = "closed"
    PROBE = "probe"


@dataclass(frozen=True, slots=True)
class CircuitState:
    """Whether Redis is being used, and if not, since what and until when."""

    up: bool
    failures: int
    last_error: str
    retry_in: float


class RedisCircuit:
    """Runs Redis commands for every Redis adapter of a node, skipping Redis while it is away.

    A connection error or timeout opens the circuit: for `retry_after` seconds every `call`
    answers its fallback at once, without touching the network. Then one call probes Redis
    (the others keep skipping): success closes the circuit, failure opens it again for twice
    as long, up to 8 times `retry_after`. So a node with Redis gone pays one command timeout per
    pause, not one per request, and uses Redis again by itself once it is back.

    `call` is for the request path (never raises a Redis error); `require` is for
    administrative operations (tries even while open, raises `CacheUnavailable`).
    """

    def __init__(
        self,
        client: Redis,
        *,
        retry_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if retry_after <= 0:
            raise ValueError(f"retry_after must be > 0, got {retry_after}")
        self._client = client
        self._retry_after = retry_after
        self._clock = clock
        self._failures = 0
        self._open_until = 0.0
        self._probing = False
        self._last_error = ""

    @property
    def client(self) -> Redis:
        return self._client

    @property
    def retry_after(self) -> float:
        return self._retry_after

    async def call(self, command: Callable[[Redis], Awaitable[T]], otherwise: T) -> T:
        """`command(client)`, or `otherwise` when Redis is skipped or fails."""
        passage = self._passage()
        if passage is None:
            return otherwise
        try:
            result = await command(self._client)
        except UNREACHABLE as exc:
            self._failed(exc, passage)
            return otherwise
        except RedisError as exc:
            log.warning("Redis refused a command: %s", exc)
            self._succeeded()  # it answered: it is there
            return otherwise
        self._succeeded()
        return result

    async def require(self, command: Callable[[Redis], Awaitable[T]]) -> T:
        """`command(client)`, or `CacheUnavailable` when Redis cannot be reached or refuses."""
        try:
            result = await command(self._client)
        except UNREACHABLE as exc:
            self._failed(exc, _Pass.PROBE)
            raise CacheUnavailable(f"Redis is unreachable: {exc}") from exc
        except RedisError as exc:
            raise CacheUnavailable(f"Redis refused the command: {exc}") from exc
        self._succeeded()
        return result

    def state(self) -> CircuitState:
        """A snapshot for health reports."""
        return CircuitState(
            up=self._failures == 0,
            failures=self._failures,
            last_error=self._last_error,
            retry_in=max(0.0, self._open_until - self._clock()) if self._failures else 0.0,
        )

    async def ping(self) -> CircuitState:
        """Probe Redis now unless the circuit is open and its pause not over; the state after."""
        await self.call(lambda client: client.ping(), otherwise=False)
        return self.state()

    def _passage(self) -> _Pass | None:
        if self._failures == 0:
            return _Pass.CLOSED
        if self._probing or self._clock() < self._open_until:
            return None
        self._probing = True
        return _Pass.PROBE

    def _failed(self, exc: BaseException, passage: _Pass) -> None:
        self._last_error = f"{type(exc).__name__}: {exc}"
        if passage is _Pass.CLOSED and self._failures:
            return  # one of many calls in flight when Redis went: it is open already
        if self._failures == 0:
            log.warning("Redis is unreachable (%s); skipping it for a while", self._last_error)
        self._failures += 1
        pause = self._retry_after * min(2 ** (self._failures - 1), LONGEST_PAUSE_FACTOR)
        self._open_until = self._clock() + pause
        self._probing = False

    def _succeeded(self) -> None:
        if self._failures:
            log.info("Redis is reachable again after %d failed attempts", self._failures)
        self._failures = 0
        self._probing = False
