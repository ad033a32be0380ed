"""The contracts of the shared-state ports, each run on its in-memory and its Redis adapter.

NegativeCache, WorkLeases, FlushBroadcast and AccessCounter: what one node writes, another
node (a second adapter instance on the same store) reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from adapters.memory import (
    MemoryAccessCounter,
    MemoryFlushBroadcast,
    MemoryNegativeCache,
    MemoryWorkLeases,
    SystemClock,
)
from adapters.redis import (
    RedisAccessCounter,
    RedisCircuit,
    RedisFlushBroadcast,
    RedisKeys,
    RedisNegativeCache,
    RedisWorkLeases,
)
from application.errors import CacheUnavailable
from application.ports.access_counter import AccessCounter
from application.ports.flush_broadcast import FlushBroadcast
from application.ports.negative_cache import NegativeCache
from application.ports.work_leases import WorkLeases
from domain.request import ImageSource, ResultKey, SourceKind
from domain.result import FallbackReason
from tests.integration.conftest import Run
from tests.support.redis_server import RedisProcess
from tests.support.server import free_port

Pair = tuple[Any, Any]
SHOP_DOG = ImageSource(SourceKind.MEDIA, "shop", "dog.jpg")
SHOP_CAT = ImageSource(SourceKind.MEDIA, "shop", "cat.jpg")
TWO_DOG = ImageSource(SourceKind.MEDIA, "shop_two", "dog.jpg")
STATIC_DOG = ImageSource(SourceKind.STATIC, "shop", "dog.jpg")


def rkey(name: str, tenant: str = "shop") -> ResultKey:
    return ResultKey(tenant, hashlib.sha256(name.encode()).hexdigest())


@pytest.fixture(params=["memory", "redis"])
def two_nodes(
    request: pytest.FixtureRequest, clients: Callable[[str], Redis]
) -> Callable[[str], Pair]:
    """`make(port)` answers two adapters of that port that see the same store."""
    if request.param == "memory":
        memory: dict[str, Callable[[], Any]] = {
            "negative": lambda: MemoryNegativeCache(SystemClock()),
            "leases": lambda: MemoryWorkLeases(SystemClock()),
            "broadcast": MemoryFlushBroadcast,
            "access": MemoryAccessCounter,
        }

        def shared(port: str) -> Pair:
            one = memory[port]()
            return one, one

        return shared
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")

    def redis_pair(port: str) -> Pair:
        return make_redis(port, clients(url), prefix), make_redis(port, clients(url), prefix)

    return redis_pair


def make_redis(port: str, client: Redis, prefix: str, retry_after: float = 0.1) -> Any:
    circuit, keys = RedisCircuit(client, retry_after=retry_after), RedisKeys(prefix)
    kinds: dict[str, Callable[[RedisCircuit, RedisKeys], Any]] = {
        "negative": RedisNegativeCache,
        "leases": RedisWorkLeases,
        "broadcast": RedisFlushBroadcast,
        "access": RedisAccessCounter,
    }
    return kinds[port](circuit, keys)


def unreachable(port: str, clients: Callable[[str], Redis]) -> Any:
    return make_redis(port, clients(f"redis://127.0.0.1:{free_port()}/0"), "mstest:nobody:")


# --- NegativeCache -------------------------------------------------------------------------


def test_a_remembered_source_is_missing_for_the_time_given_on_every_node(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("negative")
    run(one.remember(SHOP_DOG, 30))
    left = run(other.remaining(SHOP_DOG))
    assert left is not None
    assert 29 < left <= 30
    assert run(other.remaining(SHOP_CAT)) is None
    assert run(other.remaining(STATIC_DOG)) is None  # same path, other route


def test_the_reason_a_source_is_missing_is_remembered_with_it(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("negative")
    run(one.remember(SHOP_DOG, 30, FallbackReason.NOT_AN_IMAGE))
    run(one.remember(SHOP_CAT, 30))

    dog, cat = run(other.recall(SHOP_DOG)), run(other.recall(SHOP_CAT))

    assert dog is not None
    assert dog[1] is FallbackReason.NOT_AN_IMAGE
    assert cat is not None
    assert cat[1] is FallbackReason.ORIGIN_NOT_FOUND
    assert run(other.recall(STATIC_DOG)) is None


def test_a_remembered_source_is_forgotten_when_its_time_runs_out(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("negative")
    run(one.remember(SHOP_DOG, 0.05))
    run(one.remember(SHOP_CAT, 0))
    time.sleep(0.1)
    assert run(other.remaining(SHOP_DOG)) is None
    assert run(other.remaining(SHOP_CAT)) is None


def test_forget_tenant_forgets_only_that_tenant(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("negative")
    for source in (SHOP_DOG, SHOP_CAT, TWO_DOG):
        run(one.remember(source, 30))
    negative: NegativeCache = other
    assert run(negative.forget_tenant("shop")) == 2
    assert run(one.remaining(SHOP_DOG)) is None
    assert run(one.remaining(TWO_DOG)) is not None
    assert run(negative.forget_tenant("shop")) == 0


# --- WorkLeases ----------------------------------------------------------------------------


def test_a_lease_has_one_holder_until_released(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("leases")
    token = run(one.acquire("job", 5))
    assert token is not None
    assert run(other.acquire("job", 5)) is None
    assert run(other.is_held("job")) is True
    assert run(other.acquire("another job", 5)) is not None
    run(other.release("job", "not-the-token"))
    assert run(other.is_held("job")) is True
    run(one.release("job", token))
    assert run(other.is_held("job")) is False
    assert run(other.acquire("job", 5)) is not None


def test_a_lease_expires_unless_renewed_by_its_holder(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("leases")
    leases: WorkLeases = one
    kept, dropped = run(leases.acquire("kept", 0.15)), run(leases.acquire("dropped", 0.15))
    assert kept is not None
    assert dropped is not None
    assert run(other.renew("kept", "not-the-token", 5)) is False
    assert run(leases.renew("kept", kept, 5)) is True
    time.sleep(0.3)
    assert run(other.is_held("kept")) is True
    assert run(other.is_held("dropped")) is False
    assert run(leases.renew("dropped", dropped, 5)) is False  # lost: may not come back
    taken = run(other.acquire("dropped", 5))
    assert taken is not None
    run(leases.release("dropped", dropped))  # the old holder cannot drop the new lease
    assert run(other.is_held("dropped")) is True


def test_redis_leases_fail_open_when_redis_is_away(
    run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    leases = unreachable("leases", clients)
    token = run(leases.acquire("job", 5))
    assert token is not None
    assert run(leases.acquire("job", 5)) is not None  # nobody to coordinate: everyone works
    assert run(leases.is_held("job")) is False
    assert run(leases.renew("job", token, 5)) is True
    run(leases.release("job", token))


# --- FlushBroadcast ------------------------------------------------------------------------


class Heard:
    """A flush handler that remembers what it was told."""

    def __init__(self) -> None:
        self.tenants: list[str | None] = []

    async def __call__(self, tenant: str | None) -> None:
        self.tenants.append(tenant)


async def eventually(condition: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


def test_an_announced_flush_reaches_every_listening_node(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("broadcast")
    heard_one, heard_other = Heard(), Heard()

    async def scenario() -> int:
        await one.listen(heard_one)
        await other.listen(heard_other)
        notified = await one.announce("acme")
        await eventually(lambda: bool(heard_one.tenants and heard_other.tenants))
        return int(notified)

    assert run(scenario()) == 2
    assert heard_one.tenants == heard_other.tenants == ["acme"]
    run(one.close())
    run(other.close())


def test_a_closed_node_hears_nothing_more(two_nodes: Callable[[str], Pair], run: Run[Any]) -> None:
    one, other = two_nodes("broadcast")
    heard = Heard()

    async def scenario() -> int:
        broadcast: FlushBroadcast = other
        await broadcast.listen(heard)
        await broadcast.close()
        notified = await one.announce("acme")
        await asyncio.sleep(0.1)
        return int(notified)

    assert run(scenario()) == 0
    assert heard.tenants == []


def test_redis_announce_fails_loudly_when_redis_is_away(
    run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    with pytest.raises(CacheUnavailable):
        run(unreachable("broadcast", clients).announce("acme"))


def test_a_node_cut_off_from_redis_is_told_flushes_may_have_been_missed(
    run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    heard = Heard()
    with RedisProcess() as redis_server:
        listener = make_redis("broadcast", clients(redis_server.url), "mstest:gap:")
        announcer = make_redis("broadcast", clients(redis_server.url), "mstest:gap:")

        async def before() -> None:
            await listener.listen(heard)
            await announcer.announce("acme")
            await eventually(lambda: heard.tenants == ["acme"])

        async def after() -> int:
            await eventually(lambda: None in heard.tenants and listener.listening, within=5)
            notified = int(await announcer.announce("other"))
            await eventually(lambda: "other" in heard.tenants)
            await listener.close()
            return notified

        run(before())
        redis_server.stop()
        redis_server.start()
        notified = run(after())
    assert heard.tenants == ["acme", None, "other"]
    assert notified == 1


# --- AccessCounter -------------------------------------------------------------------------


def test_top_ranks_keys_by_accesses_from_every_node(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("access")

    async def scenario() -> tuple[list[ResultKey], list[ResultKey], list[ResultKey]]:
        for name, node, times in [("a", one, 2), ("b", other, 2), ("c", one, 1), ("a", other, 1)]:
            for _ in range(times):
                node.record(rkey(name))
        await other.close()  # sends what it buffered
        counter: AccessCounter = one
        return await counter.top(2), await counter.top(10), await counter.top(0)

    top_two, everything, nothing = run(scenario())
    assert top_two == [rkey("a"), rkey("b")]
    assert everything == [rkey("a"), rkey("b"), rkey("c")]
    assert nothing == []


def test_top_leaves_out_keys_accessed_fewer_than_min_count_times(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, _ = two_nodes("access")

    async def scenario() -> tuple[list[ResultKey], list[ResultKey]]:
        for name, times in [("a", 5), ("b", 3), ("c", 1)]:
            for _ in range(times):
                one.record(rkey(name))
        counter: AccessCounter = one
        return await counter.top(10, min_count=3), await counter.top(1, min_count=3)

    popular, first = run(scenario())
    assert popular == [rkey("a"), rkey("b")]
    assert first == [rkey("a")]


def test_forget_tenant_drops_only_that_tenants_counts(
    two_nodes: Callable[[str], Pair], run: Run[Any]
) -> None:
    one, other = two_nodes("access")

    async def scenario() -> tuple[int, list[ResultKey]]:
        for key in (rkey("a"), rkey("b"), rkey("a", "shop_two"), rkey("a", "shop_two")):
            one.record(key)
        await one.close()
        return await other.forget_tenant("shop"), await other.top(10)

    forgotten, left = run(scenario())
    assert forgotten == 2
    assert left == [rkey("a", "shop_two")]


def test_redis_counts_are_kept_while_redis_is_away_and_admin_calls_fail(
    run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    counter = unreachable("access", clients)

    async def scenario() -> list[ResultKey]:
        counter.record(rkey("a"))
        return list(await counter.top(5))

    assert run(scenario()) == []
    with pytest.raises(CacheUnavailable):
        run(counter.forget_tenant("shop"))
    run(counter.close())


def test_redis_top_skips_members_this_service_did_not_write(
    redis_url: str, redis_prefix: str, run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    counter = make_redis("access", clients(redis_url), redis_prefix)
    raw = clients(redis_url)

    async def scenario() -> list[ResultKey]:
        await raw.zadd(f"{redis_prefix}access", {"../etc:passwd": 99, "shop:not-hex": 98})
        counter.record(rkey("a"))
        return list(await counter.top(5))

    assert run(scenario()) == [rkey("a")]
