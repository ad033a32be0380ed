"""Shared fixtures of the integration tests: Redis under a per-test prefix, one event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis

from entrypoints.composition.shared_state import redis_client_for
from entrypoints.settings import Settings
from tests.support.redis_server import SHARED_PORT, RedisProcess, answers_ping, delete_prefix

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The shared Redis on 127.0.0.1:6379 (.ci/run starts it), else one of our own."""
    if answers_ping(SHARED_PORT):
        yield f"redis://127.0.0.1:{SHARED_PORT}/0"
        return
    with RedisProcess() as own:
        yield own.url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test run uses; its keys are deleted afterwards."""
    prefix = f"mstest:{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture
def run() -> Iterator[Run[Any]]:
    """Runs coroutines on one event loop for the whole test (a Redis client is bound to it)."""
    with asyncio.Runner() as runner:
        yield runner.run


@pytest.fixture
def clients(run: Run[Any]) -> Iterator[Callable[[str], Redis]]:
    """Makes Redis clients as the container does (`redis_client_for`), all closed after the test."""
    made: list[Redis] = []

    def make(url: str) -> Redis:
        settings = Settings(REDIS_URL=url, REDIS_CONNECT_TIMEOUT=1000, REDIS_COMMAND_TIMEOUT=1000)
        client = redis_client_for(settings)
        assert client is not None
        made.append(client)
        return client

    yield make
    for client in made:
        run(client.aclose())
