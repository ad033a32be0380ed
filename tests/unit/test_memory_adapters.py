"""The in-memory adapters: LRU result cache, dict-backed origin, clocks."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from adapters.memory import (
    CacheStats,
    FixedClock,
    MemoryAccessCounter,
    MemoryFlushBroadcast,
    MemoryNegativeCache,
    MemoryOriginFetcher,
    MemoryResultCache,
    MemoryWorkLeases,
    SystemClock,
)
from application.errors import OriginNotFound, OriginUnavailable
from domain.formats import OutputFormat
from domain.request import ImageSource, ResultKey, SourceKind
from domain.result import CacheLayer, ImageResult


def key(name: str, tenant: str = "shop") -> ResultKey:
    return ResultKey(tenant, hashlib.sha256(name.encode()).hexdigest())


def result(size: int, fill: bytes = b"x") -> ImageResult:
    return ImageResult.of(fill * size, OutputFormat.PNG, 1_700_000_000)


def put_all(cache: MemoryResultCache, *entries: tuple[ResultKey, ImageResult]) -> None:
    async def scenario() -> None:
        for entry_key, entry in entries:
            await cache.put(entry_key, entry)

    asyncio.run(scenario())


def held(cache: MemoryResultCache, *keys: ResultKey) -> list[bool]:
    """Which of `keys` the cache answers (each lookup counts as a use)."""

    async def scenario() -> list[bool]:
        return [await cache.get(k) is not None for k in keys]

    return asyncio.run(scenario())


# --- MemoryResultCache ---------------------------------------------------------------------


def test_get_answers_what_was_put_and_none_for_a_miss() -> None:
    cache = MemoryResultCache(max_bytes=1000, max_keys=10)
    stored = result(10)
    put_all(cache, (key("a"), stored))
    assert asyncio.run(cache.get(key("a"))) is stored
    assert asyncio.run(cache.get(key("b"))) is None
    assert cache.layer is CacheLayer.MEMORY


def test_total_bytes_bound_evicts_least_recently_used() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=100)
    put_all(cache, (key("a"), result(40)), (key("b"), result(40)), (key("c"), result(40)))
    assert held(cache, key("a"), key("b"), key("c")) == [False, True, True]
    assert cache.stats().size == 80


def test_key_count_bound_evicts_least_recently_used() -> None:
    cache = MemoryResultCache(max_bytes=10_000, max_keys=2)
    put_all(cache, (key("a"), result(1)), (key("b"), result(1)), (key("c"), result(1)))
    assert held(cache, key("a"), key("b"), key("c")) == [False, True, True]


def test_a_get_makes_an_entry_the_most_recently_used() -> None:
    cache = MemoryResultCache(max_bytes=10_000, max_keys=2)
    put_all(cache, (key("a"), result(1)), (key("b"), result(1)))
    assert held(cache, key("a")) == [True]
    put_all(cache, (key("c"), result(1)))
    assert held(cache, key("a"), key("b"), key("c")) == [True, False, True]


def test_one_large_entry_evicts_several_small_ones() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=10)
    put_all(cache, *((key(name), result(30)) for name in "abc"))
    put_all(cache, (key("big"), result(70)))
    assert held(cache, key("a"), key("b"), key("c"), key("big")) == [False, False, True, True]
    assert cache.stats().evictions == 2


def test_an_entry_larger_than_the_cache_is_not_stored_and_evicts_nothing() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=10)
    put_all(cache, (key("a"), result(60)), (key("huge"), result(101)))
    assert held(cache, key("a"), key("huge")) == [True, False]
    assert cache.stats().evictions == 0


def test_replacing_an_entry_with_an_oversize_one_drops_the_stale_value() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=10)
    put_all(cache, (key("a"), result(10)), (key("a"), result(101)))
    assert held(cache, key("a")) == [False]
    assert cache.stats().size == 0


def test_replacing_an_entry_accounts_its_size_once() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=10)
    put_all(cache, (key("a"), result(60)), (key("a"), result(70)))
    assert cache.stats() == CacheStats(hits=0, misses=0, evictions=0, entries=1, size=70)
    assert asyncio.run(cache.get(key("a"))) == result(70)


def test_zero_bounds_store_nothing() -> None:
    for cache in (
        MemoryResultCache(max_bytes=0, max_keys=10),
        MemoryResultCache(max_bytes=100, max_keys=0),
    ):
        put_all(cache, (key("a"), result(1)))
        assert held(cache, key("a")) == [False]


def test_negative_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        MemoryResultCache(max_bytes=-1, max_keys=1)


def test_delete_tenant_removes_only_that_tenants_entries() -> None:
    cache = MemoryResultCache(max_bytes=1000, max_keys=10)
    mine, theirs = key("a", "shop"), key("a", "other")
    put_all(cache, (mine, result(10)), (key("b", "shop"), result(10)), (theirs, result(10)))
    assert asyncio.run(cache.delete_tenant("shop")) == 2
    assert held(cache, mine, theirs) == [False, True]
    assert cache.stats().size == 10
    assert asyncio.run(cache.delete_tenant("shop")) == 0


def test_stats_count_hits_misses_and_evictions() -> None:
    cache = MemoryResultCache(max_bytes=1000, max_keys=1)
    put_all(cache, (key("a"), result(5)), (key("b"), result(7)))
    held(cache, key("a"), key("b"), key("b"))
    assert cache.stats() == CacheStats(hits=2, misses=1, evictions=1, entries=1, size=7)


# --- MemoryResultCache: tenant fairness (ADR 7) ----------------------------------------------


def test_a_busy_tenant_evicts_its_own_entries_not_a_quiet_tenants() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=100)
    put_all(cache, (key("q1", "quiet"), result(20)), (key("q2", "quiet"), result(20)))
    put_all(cache, *((key(f"b{i}", "busy"), result(20)) for i in range(10)))
    assert held(cache, key("q1", "quiet"), key("q2", "quiet")) == [True, True]
    assert cache.tenant_sizes() == {"busy": 60, "quiet": 40}
    assert held(cache, *(key(f"b{i}", "busy") for i in range(10))) == [False] * 7 + [True] * 3


def test_with_one_tenant_eviction_is_plain_lru() -> None:
    cache = MemoryResultCache(max_bytes=60, max_keys=100)
    put_all(cache, *((key(name), result(20)) for name in "abc"))
    assert held(cache, key("a")) == [True]
    put_all(cache, (key("d"), result(20)))
    assert held(cache, key("a"), key("b"), key("c"), key("d")) == [True, False, True, True]


def test_the_tenant_furthest_above_its_fair_share_loses_its_least_recently_used_entry() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=100)
    put_all(
        cache,
        (key("b1", "b"), result(25)),  # the least recently used of all
        (key("a1", "a"), result(30)),
        (key("a2", "a"), result(30)),
        (key("c1", "c"), result(10)),
    )
    held(cache, key("a1", "a"))  # a2 is now a's least recently used
    put_all(cache, (key("c2", "c"), result(10)))  # 105 bytes: "a" holds 60, share is 33
    assert held(cache, key("a1", "a"), key("a2", "a"), key("b1", "b")) == [True, False, True]
    assert cache.tenant_sizes() == {"a": 30, "b": 25, "c": 20}


def test_the_key_bound_evicts_from_the_tenant_holding_the_most_entries() -> None:
    cache = MemoryResultCache(max_bytes=10_000, max_keys=4)
    put_all(cache, *((key(f"b{i}", "busy"), result(1)) for i in range(3)))
    put_all(cache, (key("q", "quiet"), result(500)), (key("q2", "quiet"), result(1)))
    assert held(cache, key("q", "quiet"), key("b0", "busy")) == [True, False]


def test_a_new_entry_is_not_its_own_victim_even_from_the_largest_tenant() -> None:
    cache = MemoryResultCache(max_bytes=100, max_keys=100)
    put_all(cache, (key("small", "other"), result(40)), (key("big", "shop"), result(70)))
    assert held(cache, key("big", "shop"), key("small", "other")) == [True, False]
    assert cache.stats().evictions == 1


def test_contains_usage_and_clear() -> None:
    cache = MemoryResultCache(max_bytes=1000, max_keys=10)
    put_all(cache, (key("a"), result(10)), (key("b", "other"), result(5)))
    assert asyncio.run(cache.contains(key("a"))) is True
    assert asyncio.run(cache.contains(key("c"))) is False
    assert cache.stats().hits == 0  # contains is not a use
    assert asyncio.run(cache.usage()).entries == 2
    assert asyncio.run(cache.usage()).bytes == 15
    assert asyncio.run(cache.clear()) == 2
    assert held(cache, key("a"), key("b", "other")) == [False, False]
    assert asyncio.run(cache.usage()).bytes == 0


def test_a_memory_cache_can_stand_in_for_another_layer() -> None:
    stand_in = MemoryResultCache(max_bytes=10, max_keys=1, layer=CacheLayer.REDIS)
    assert stand_in.layer is CacheLayer.REDIS


# --- MemoryNegativeCache, MemoryWorkLeases: time from a clock --------------------------------

DOG = ImageSource(SourceKind.MEDIA, "shop", "dog.jpg")


def test_negative_entries_run_out_with_the_clock() -> None:
    clock = FixedClock(1000)
    missing = MemoryNegativeCache(clock)
    asyncio.run(missing.remember(DOG, 60))
    clock.advance(59)
    assert asyncio.run(missing.remaining(DOG)) == pytest.approx(1)
    clock.advance(1)
    assert asyncio.run(missing.remaining(DOG)) is None


def test_negative_entries_are_bounded_oldest_first_and_can_be_cleared() -> None:
    missing = MemoryNegativeCache(FixedClock(0), max_entries=2)
    sources = [ImageSource(SourceKind.MEDIA, "shop", f"{n}.jpg") for n in range(3)]
    for source in sources:
        asyncio.run(missing.remember(source, 60))
    assert [asyncio.run(missing.remaining(s)) is not None for s in sources] == [False, True, True]
    assert asyncio.run(missing.clear()) == 2
    assert asyncio.run(missing.remaining(sources[2])) is None


def test_leases_expire_with_the_clock() -> None:
    clock = FixedClock(0)
    leases = MemoryWorkLeases(clock)
    token = asyncio.run(leases.acquire("job", 5))
    assert token is not None
    clock.advance(4)
    assert asyncio.run(leases.renew("job", token, 5)) is True
    clock.advance(4.9)
    assert asyncio.run(leases.acquire("job", 5)) is None
    clock.advance(0.1)
    assert asyncio.run(leases.is_held("job")) is False
    assert asyncio.run(leases.acquire("job", 5)) is not None


# --- MemoryAccessCounter, MemoryFlushBroadcast -----------------------------------------------


def test_access_counter_keeps_the_most_counted_keys_when_full() -> None:
    counter = MemoryAccessCounter(max_keys=10)
    for index in range(10):
        for _ in range(index + 1):
            counter.record(key(str(index)))
    counter.record(key("newcomer"))
    assert counter.count(key("0")) == 0  # the least counted went to make room
    assert counter.count(key("9")) == 10
    assert asyncio.run(counter.top(1)) == [key("9")]


def test_a_failing_flush_handler_does_not_stop_the_others() -> None:
    broadcast = MemoryFlushBroadcast()
    heard: list[str | None] = []

    async def broken(tenant: str | None) -> None:
        raise RuntimeError("a node that fails")

    async def working(tenant: str | None) -> None:
        heard.append(tenant)

    async def scenario() -> int:
        await broadcast.listen(broken)
        await broadcast.listen(working)
        return await broadcast.announce("acme")

    assert asyncio.run(scenario()) == 2
    assert heard == ["acme"]
    assert broadcast.announced == ["acme"]


# --- MemoryOriginFetcher -------------------------------------------------------------------

CAT = ImageSource(SourceKind.STATIC, "public", "cats/cat.png")
SHOP_DOG = ImageSource(SourceKind.MEDIA, "shop", "dog.jpg")


def test_origin_serves_bytes_by_origin_path_with_a_guessed_type() -> None:
    origin = MemoryOriginFetcher({"static/images/cats/cat.png": b"png-bytes"})
    original = asyncio.run(origin.fetch(CAT))
    assert original.data == b"png-bytes"
    assert original.claimed_type == "image/png"


def test_origin_raises_not_found_for_an_unknown_path_and_records_it() -> None:
    origin = MemoryOriginFetcher()
    with pytest.raises(OriginNotFound):
        asyncio.run(origin.fetch(SHOP_DOG))
    assert origin.requests == ["media/shop/uploads/dog.jpg"]


def test_origin_put_adds_an_original_and_clears_a_failure() -> None:
    origin = MemoryOriginFetcher()
    origin.fail_with("media/shop/uploads/dog.jpg", OriginUnavailable("down"))
    with pytest.raises(OriginUnavailable, match="down"):
        asyncio.run(origin.fetch(SHOP_DOG))
    origin.put("media/shop/uploads/dog.jpg", b"jpeg-bytes")
    assert asyncio.run(origin.fetch(SHOP_DOG)).data == b"jpeg-bytes"
    assert origin.requests == ["media/shop/uploads/dog.jpg"] * 2


def test_origin_failure_takes_precedence_over_stored_bytes() -> None:
    origin = MemoryOriginFetcher({"static/images/cats/cat.png": b"png-bytes"})
    origin.fail_with("static/images/cats/cat.png", OriginNotFound("gone"))
    with pytest.raises(OriginNotFound, match="gone"):
        asyncio.run(origin.fetch(CAT))


def test_origin_delay_holds_fetches_open() -> None:
    origin = MemoryOriginFetcher({"static/images/cats/cat.png": b"png"}, delay=0.5)

    async def scenario() -> tuple[int, list[bool], list[bytes]]:
        fetches = [asyncio.create_task(origin.fetch(CAT)) for _ in range(3)]
        await asyncio.sleep(0.05)
        seen, done = len(origin.requests), [fetch.done() for fetch in fetches]
        return seen, done, [original.data for original in await asyncio.gather(*fetches)]

    assert asyncio.run(scenario()) == (3, [False] * 3, [b"png"] * 3)


def test_origin_close_is_recorded() -> None:
    origin = MemoryOriginFetcher()
    asyncio.run(origin.close())
    assert origin.closed


# --- Clocks --------------------------------------------------------------------------------


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(1_000.0)
    assert clock.now() == 1_000.0
    clock.advance(2.5)
    assert clock.now() == 1_002.5
    clock.set(5.0)
    assert clock.now() == 5.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_system_clock_is_the_wall_clock() -> None:
    before = time.time()
    now = SystemClock().now()
    assert before <= now <= time.time()


def test_with_a_ttl_an_entry_held_that_long_is_gone_and_counted_a_miss() -> None:
    now = [100.0]
    cache = MemoryResultCache(max_bytes=1000, max_keys=10, ttl=60, clock=lambda: now[0])
    put_all(cache, (key("a"), result(10)))

    async def lookups() -> tuple[ImageResult | None, ImageResult | None, bool]:
        now[0] = 159.0
        fresh = await cache.get(key("a"))
        now[0] = 160.0
        return fresh, await cache.get(key("a")), await cache.contains(key("a"))

    fresh, stale, held = asyncio.run(lookups())
    assert fresh is not None
    assert stale is None
    assert held is False
    assert cache.stats().entries == 0
    assert cache.stats().size == 0
    assert cache.stats().misses == 1
