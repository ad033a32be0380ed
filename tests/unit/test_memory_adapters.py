"""The in-memory adapters: LRU result cache, dict-backed origin, clocks."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from adapters.memory import (
    CacheStats,
    FixedClock,
    MemoryOriginFetcher,
    MemoryResultCache,
    SystemClock,
)
from application.errors import OriginNotFound, OriginUnavailable
from domain.formats import OutputFormat
from domain.request import ImageSource, ResultKey, SourceKind
from domain.result import CacheStatus, ImageResult


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
    assert cache.hit_status is CacheStatus.HIT_MEMORY


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


# --- MemoryOriginFetcher -------------------------------------------------------------------

CAT = ImageSource(SourceKind.STATIC, "public", "cats/cat.png")
SHOP_DOG = ImageSource(SourceKind.MEDIA, "shop", "dog.jpg")


def test_origin_serves_bytes_by_origin_path_with_a_guessed_type() -> None:
    origin = MemoryOriginFetcher({"static/images/cats/cat.png": b"png-bytes"})
    original = asyncio.run(origin.fetch(CAT))
    assert original.data == b"png-bytes"
    assert original.claimed_type == "image/png"
    assert origin.host == ""


def test_origin_raises_not_found_for_an_unknown_path_and_records_it() -> None:
    origin = MemoryOriginFetcher(host="img.example.com")
    with pytest.raises(OriginNotFound):
        asyncio.run(origin.fetch(SHOP_DOG))
    assert origin.requests == ["media/shop/uploads/dog.jpg"]
    assert origin.host == "img.example.com"


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
