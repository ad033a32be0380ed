"""The Redis layer against a Redis that hangs, dies and comes back: never slow, back by itself.

Our own redis-server on a free port, frozen with SIGSTOP (connections are accepted, nothing is
answered: every command would wait out its timeout) or stopped and started again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.redis import RedisCircuit, RedisKeys, RedisResultCache
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import ImageResult
from entrypoints.composition.shared_state import redis_client_for
from entrypoints.settings import Settings
from tests.integration.conftest import Run
from tests.support.redis_server import RedisProcess

COMMAND_TIMEOUT_MS = 200
RETRY_AFTER_MS = 300
KEY = ResultKey("shop", hashlib.sha256(b"a").hexdigest())
RESULT = ImageResult.of(b"image bytes", OutputFormat.PNG, 1_700_000_000)


@pytest.fixture
def redis_server() -> Iterator[RedisProcess]:
    with RedisProcess() as server:
        yield server


@pytest.fixture
def layer(redis_server: RedisProcess, run: Run[Any]) -> Iterator[RedisResultCache]:
    settings = Settings(
        REDIS_URL=redis_server.url,
        REDIS_COMMAND_TIMEOUT=COMMAND_TIMEOUT_MS,
        REDIS_CONNECT_TIMEOUT=COMMAND_TIMEOUT_MS,
    )
    client = redis_client_for(settings)
    assert client is not None
    circuit = RedisCircuit(client, retry_after=RETRY_AFTER_MS / 1000)
    yield RedisResultCache(circuit, RedisKeys("mstest:outage:"), ttl=60)
    run(client.aclose())


def timed(action: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    outcome = action()
    return outcome, time.monotonic() - started


def test_a_hanging_redis_costs_one_timeout_per_pause_not_one_per_request(
    redis_server: RedisProcess, layer: RedisResultCache, run: Run[Any]
) -> None:
    run(layer.put(KEY, RESULT))
    assert run(layer.get(KEY)) == RESULT

    redis_server.freeze()
    outcomes, elapsed = timed(lambda: [run(layer.get(KEY)) for _ in range(20)])
    redis_server.thaw()

    assert outcomes == [None] * 20
    # Without the circuit: 20 command timeouts (4 s). With it: one, then immediate misses.
    assert elapsed < 10 * COMMAND_TIMEOUT_MS / 1000
    time.sleep(RETRY_AFTER_MS / 1000)
    assert run(layer.get(KEY)) == RESULT


def test_a_restarted_redis_is_used_again_by_itself(
    redis_server: RedisProcess, layer: RedisResultCache, run: Run[Any]
) -> None:
    run(layer.put(KEY, RESULT))
    redis_server.stop()
    down, elapsed = timed(lambda: [run(layer.get(KEY)) for _ in range(20)])
    redis_server.start()  # empty: no persistence
    time.sleep(RETRY_AFTER_MS / 1000)

    assert down == [None] * 20
    assert elapsed < 1.0
    assert run(layer.get(KEY)) is None  # the probe reaches the new, empty Redis
    run(layer.put(KEY, RESULT))
    assert run(layer.get(KEY)) == RESULT
