"""The layered result cache: read order, copies upwards, counters, warming, flushes."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Coroutine
from typing import TypeVar

from adapters.memory import MemoryResultCache
from application.tiered_cache import LayerCounters, TieredResultCache
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import CacheLayer, CacheStatus, ImageResult
from tests.fakes.result_cache import SlowResultCache, UnreachableResultCache

T = TypeVar("T")
RESULT = ImageResult.of(b"bytes", OutputFormat.PNG, 1_700_000_000)


def run(coroutine: Coroutine[object, object, T]) -> T:
    return asyncio.run(coroutine)


def key(name: str, tenant: str = "shop") -> ResultKey:
    return ResultKey(tenant, hashlib.sha256(name.encode()).hexdigest())


def layer(tier: CacheLayer) -> MemoryResultCache:
    return MemoryResultCache(max_bytes=1 << 20, max_keys=100, layer=tier)


class Layers:
    def __init__(self) -> None:
        self.memory = layer(CacheLayer.MEMORY)
        self.redis = layer(CacheLayer.REDIS)
        self.disk = layer(CacheLayer.DISK)
        self.cache = TieredResultCache([self.memory, self.redis, self.disk])


def test_layers_are_read_top_down_and_a_hit_below_is_copied_into_every_layer_above() -> None:
    layers = Layers()

    async def story() -> list[tuple[ImageResult, CacheStatus] | None]:
        await layers.disk.put(key("a"), RESULT)
        from_disk = await layers.cache.get(key("a"))
        await layers.cache.drain()
        return [from_disk, await layers.cache.get(key("a")), await layers.cache.get(key("b"))]

    assert run(story()) == [(RESULT, CacheStatus.HIT_DISK), (RESULT, CacheStatus.HIT_MEMORY), None]
    assert run(layers.redis.contains(key("a"))) is True


def test_a_hit_below_is_answered_before_the_copy_upwards_is_made() -> None:
    slow_memory = SlowResultCache(layer(CacheLayer.MEMORY), put_delay=0.5)
    disk = layer(CacheLayer.DISK)
    cache = TieredResultCache([slow_memory, disk])

    async def story() -> tuple[float, bool, bool]:
        await disk.put(key("a"), RESULT)
        started = time.monotonic()
        await cache.get(key("a"))
        answered_in = time.monotonic() - started
        copied_then = await slow_memory.contains(key("a"))
        await cache.drain()
        return answered_in, copied_then, await slow_memory.contains(key("a"))

    answered_in, copied_then, copied_later = run(story())
    assert answered_in < 0.25
    assert (copied_then, copied_later) == (False, True)


def test_a_put_goes_to_every_layer() -> None:
    layers = Layers()
    run(layers.cache.put(key("a"), RESULT))
    held = [run(each.contains(key("a"))) for each in (layers.memory, layers.redis, layers.disk)]
    assert held == [True, True, True]


def test_hits_and_misses_are_counted_per_layer_but_not_for_rechecks() -> None:
    layers = Layers()

    async def story() -> None:
        await layers.redis.put(key("a"), RESULT)
        await layers.cache.get(key("a"))  # memory miss, redis hit
        await layers.cache.get(key("b"))  # a miss everywhere
        await layers.cache.get(key("b"), counted=False)
        await layers.cache.drain()
        await layers.cache.get(key("a"))  # memory hit

    run(story())
    assert layers.cache.counters() == {
        "memory": LayerCounters(hits=1, misses=2),
        "redis": LayerCounters(hits=1, misses=1),
        "disk": LayerCounters(hits=0, misses=1),
    }


def test_warm_copies_from_the_highest_layer_holding_a_key() -> None:
    layers = Layers()

    async def story() -> list[bool]:
        await layers.disk.put(key("low"), RESULT)
        await layers.memory.put(key("top"), RESULT)
        warmed = [await layers.cache.warm(k) for k in (key("low"), key("top"), key("none"))]
        return [*warmed, await layers.memory.contains(key("low"))]

    assert run(story()) == [True, False, False, True]
    assert layers.memory.stats().hits == 0  # warming is not a use


def test_flush_tenant_answers_per_layer_and_none_for_an_unreachable_one() -> None:
    memory, disk = layer(CacheLayer.MEMORY), layer(CacheLayer.DISK)
    cache = TieredResultCache([memory, UnreachableResultCache(), disk])

    async def story() -> tuple[dict[str, int | None], dict[str, int | None]]:
        await cache.put(key("a"), RESULT)
        await cache.put(key("b"), RESULT)
        await cache.put(key("c", "other"), RESULT)
        return await cache.flush_tenant("shop"), await cache.flush_tenant("other", [memory])

    everywhere, memory_only = run(story())
    assert everywhere == {"memory": 2, "redis": None, "disk": 2}
    assert memory_only == {"memory": 1}
    assert run(disk.contains(key("c", "other"))) is True


def test_a_write_begun_before_a_flush_of_its_tenant_is_dropped() -> None:
    layers = Layers()

    async def story() -> list[bool]:
        before = layers.cache.epoch("shop")
        await layers.cache.flush_tenant("shop")
        await layers.cache.put(key("a"), RESULT, epoch=before)
        await layers.cache.put(key("b"), RESULT, epoch=layers.cache.epoch("shop"))
        await layers.cache.put(key("c", "other"), RESULT, epoch=0)
        return [await layers.memory.contains(k) for k in (key("a"), key("b"), key("c", "other"))]

    assert run(story()) == [False, True, True]


def test_a_copy_upwards_of_an_entry_read_before_a_flush_is_dropped() -> None:
    slow_memory = SlowResultCache(layer(CacheLayer.MEMORY), put_delay=0.05)
    disk = layer(CacheLayer.DISK)
    cache = TieredResultCache([slow_memory, disk])

    async def story() -> bool:
        await disk.put(key("a"), RESULT)
        await cache.get(key("a"))  # the copy into memory starts in the background
        await cache.flush_tenant("shop")
        await cache.drain()
        return await slow_memory.contains(key("a"))

    assert run(story()) is False
