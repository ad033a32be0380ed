"""The ResultCache contract on the memory, disk and Redis layers; then what only one promises."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from adapters.disk import DiskResultCache
from adapters.memory import MemoryResultCache
from adapters.redis import RedisCircuit, RedisKeys, RedisResultCache
from application.errors import CacheUnavailable
from application.ports.result_cache import LayerUsage, ResultCache
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import CacheLayer, CacheStatus, ImageResult
from tests.integration.conftest import Run
from tests.support.server import free_port

# Every byte value, so any text-mode or encoding mishap shows.
PAYLOAD = bytes(range(256)) * 40


def key(name: str, tenant: str = "shop") -> ResultKey:
    return ResultKey(tenant, hashlib.sha256(name.encode()).hexdigest())


def result(data: bytes = PAYLOAD, output: OutputFormat = OutputFormat.WEBP) -> ImageResult:
    return ImageResult.of(data, output, 1_717_171_717.9)


def put(cache: ResultCache, entry_key: ResultKey, entry: ImageResult) -> None:
    asyncio.run(cache.put(entry_key, entry))


def get(cache: ResultCache, entry_key: ResultKey) -> ImageResult | None:
    return asyncio.run(cache.get(entry_key))


def redis_layer(client: Redis, prefix: str, *, ttl: float = 60) -> RedisResultCache:
    return RedisResultCache(RedisCircuit(client, retry_after=1), RedisKeys(prefix), ttl=ttl)


@pytest.fixture(params=["disk", "memory", "redis"])
def cache(
    request: pytest.FixtureRequest, tmp_path: Path, clients: Callable[[str], Redis]
) -> ResultCache:
    if request.param == "memory":
        return MemoryResultCache(max_bytes=10 * 1024 * 1024, max_keys=1000)
    if request.param == "disk":
        return DiskResultCache(tmp_path)
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    return redis_layer(clients(url), prefix)


# --- the contract --------------------------------------------------------------------------


def test_round_trip_keeps_bytes_format_etag_and_time(cache: ResultCache, run: Run[Any]) -> None:
    stored = result()
    run(cache.put(key("a"), stored))
    found = run(cache.get(key("a")))
    assert found == stored
    assert found is not None
    assert (found.data, found.format, found.etag, found.produced_at) == (
        PAYLOAD,
        OutputFormat.WEBP,
        stored.etag,
        1_717_171_717,
    )


def test_a_missing_key_is_none(cache: ResultCache, run: Run[Any]) -> None:
    run(cache.put(key("a"), result()))
    assert run(cache.get(key("b"))) is None
    assert run(cache.get(key("a", tenant="other"))) is None


def test_a_put_replaces_the_previous_result(cache: ResultCache, run: Run[Any]) -> None:
    run(cache.put(key("a"), result(b"first", OutputFormat.PNG)))
    run(cache.put(key("a"), result(b"second", OutputFormat.AVIF)))
    assert run(cache.get(key("a"))) == result(b"second", OutputFormat.AVIF)


def test_an_empty_result_round_trips(cache: ResultCache, run: Run[Any]) -> None:
    run(cache.put(key("a"), result(b"")))
    assert run(cache.get(key("a"))) == result(b"")


def test_contains_answers_without_reading(cache: ResultCache, run: Run[Any]) -> None:
    run(cache.put(key("a"), result()))
    assert run(cache.contains(key("a"))) is True
    assert run(cache.contains(key("b"))) is False
    assert run(cache.contains(key("a", tenant="other"))) is False


def test_delete_tenant_removes_only_that_tenant(cache: ResultCache, run: Run[Any]) -> None:
    for name in ("a", "b", "c"):
        run(cache.put(key(name, "shop"), result()))
    run(cache.put(key("a", "other"), result(b"theirs")))
    assert run(cache.delete_tenant("shop")) == 3
    assert [run(cache.get(key(name, "shop"))) for name in ("a", "b", "c")] == [None] * 3
    assert run(cache.get(key("a", "other"))) == result(b"theirs")
    assert run(cache.delete_tenant("shop")) == 0


def test_delete_tenant_does_not_take_a_tenant_whose_name_it_prefixes(
    cache: ResultCache, run: Run[Any]
) -> None:
    run(cache.put(key("a", "shop"), result()))
    run(cache.put(key("a", "shop_two"), result(b"two")))
    assert run(cache.delete_tenant("shop")) == 1
    assert run(cache.get(key("a", "shop_two"))) == result(b"two")


def test_a_tenant_can_be_filled_again_after_deletion(cache: ResultCache, run: Run[Any]) -> None:
    run(cache.put(key("a"), result(b"old")))
    run(cache.delete_tenant("shop"))
    run(cache.put(key("a"), result(b"new")))
    assert run(cache.get(key("a"))) == result(b"new")


def test_usage_counts_entries_and_at_least_their_bytes(cache: ResultCache, run: Run[Any]) -> None:
    assert run(cache.usage()) == LayerUsage(entries=0, bytes=0)
    run(cache.put(key("a"), result(b"x" * 1000)))
    run(cache.put(key("b", "other"), result(b"y" * 500)))
    usage = run(cache.usage())
    assert usage.entries == 2
    assert 1500 <= usage.bytes < 1500 + 2 * 300  # the data, plus a small header each at most


def test_each_layer_names_its_tier_and_the_status_of_its_hits(cache: ResultCache) -> None:
    expected = {
        MemoryResultCache: (CacheLayer.MEMORY, CacheStatus.HIT_MEMORY),
        DiskResultCache: (CacheLayer.DISK, CacheStatus.HIT_DISK),
        RedisResultCache: (CacheLayer.REDIS, CacheStatus.HIT_REDIS),
    }
    assert (cache.layer, cache.layer.hit) == expected[type(cache)]


# --- Redis only ----------------------------------------------------------------------------


def test_redis_stores_one_value_of_raw_bytes_behind_a_binary_header_with_a_ttl(
    redis_url: str, redis_prefix: str, run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    layer = redis_layer(clients(redis_url), redis_prefix, ttl=120)
    raw = redis.Redis.from_url(redis_url)
    try:
        run(layer.put(key("a"), result()))
        names = raw.keys(redis_prefix + "*")
        value = raw.get(redis_prefix + "result:shop:" + key("a").digest)
        ttl_ms = raw.pttl(redis_prefix + "result:shop:" + key("a").digest)
    finally:
        raw.close()
    assert len(names) == 1
    assert value is not None
    assert value.startswith(b"MSRR\x01")
    assert value.endswith(PAYLOAD)  # not base64, not JSON: the bytes as they are
    assert len(value) - len(PAYLOAD) < 80
    assert 110_000 < ttl_ms <= 120_000


@pytest.mark.parametrize(
    "damage",
    [
        lambda value: b"garbage",
        lambda value: value[:-1],
        lambda value: value + b"x",
        lambda value: b"MSRR\x09" + value[5:],
        lambda value: value[:19] + b"\xff" * 4 + value[23:],
    ],
)
def test_redis_treats_a_damaged_value_as_a_miss_and_deletes_it(
    redis_url: str,
    redis_prefix: str,
    run: Run[Any],
    clients: Callable[[str], Redis],
    damage: Callable[[bytes], bytes],
) -> None:
    layer = redis_layer(clients(redis_url), redis_prefix)
    raw = redis.Redis.from_url(redis_url)
    name = redis_prefix + "result:shop:" + key("a").digest
    try:
        run(layer.put(key("a"), result()))
        value = raw.get(name)
        assert value is not None
        raw.set(name, damage(value))
        assert run(layer.get(key("a"))) is None
        assert raw.exists(name) == 0
    finally:
        raw.close()


def test_redis_away_is_a_quick_miss_on_the_request_path_and_an_error_for_admin(
    run: Run[Any], clients: Callable[[str], Redis]
) -> None:
    layer = redis_layer(clients(f"redis://127.0.0.1:{free_port()}/0"), "mstest:nobody:")
    started = time.monotonic()
    run(layer.put(key("a"), result()))
    assert run(layer.get(key("a"))) is None
    assert run(layer.contains(key("a"))) is False
    with pytest.raises(CacheUnavailable):
        run(layer.delete_tenant("shop"))
    with pytest.raises(CacheUnavailable):
        run(layer.usage())
    assert time.monotonic() - started < 2.0


# --- disk only -----------------------------------------------------------------------------


def entry_path(root: Path, entry_key: ResultKey) -> Path:
    return root / "results" / entry_key.tenant / entry_key.digest[:2] / entry_key.digest


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_disk_stores_one_file_with_a_header_and_the_raw_bytes(tmp_path: Path) -> None:
    put(DiskResultCache(tmp_path), key("a"), result())
    assert files_under(tmp_path) == [entry_path(tmp_path, key("a"))]
    content = entry_path(tmp_path, key("a")).read_bytes()
    assert content.startswith(b"MSRC")
    assert content.endswith(PAYLOAD)
    assert len(content) < len(PAYLOAD) + 200


def test_disk_results_survive_a_restart(tmp_path: Path) -> None:
    stored = result()
    put(DiskResultCache(tmp_path), key("a"), stored)
    assert get(DiskResultCache(tmp_path), key("a")) == stored


def _garbage(content: bytes) -> bytes:
    return b"not a cache entry at all"


def _truncated(content: bytes) -> bytes:
    return content[:-1]


def _header_only(content: bytes) -> bytes:
    return content[:7]


def _future_version(content: bytes) -> bytes:
    return content[:4] + bytes([99]) + content[5:]


def _empty(content: bytes) -> bytes:
    return b""


def _undecodable_metadata(content: bytes) -> bytes:
    return content[:10] + b"\xff" + content[11:]


def _metadata_of_the_wrong_shape(content: bytes) -> bytes:
    metadata = b'["webp"]'
    return b"MSRC\x01" + len(metadata).to_bytes(4, "big") + metadata + PAYLOAD


def _longer(content: bytes) -> bytes:
    return content + b"trailing"


@pytest.mark.parametrize(
    "damage",
    [
        _garbage,
        _empty,
        _truncated,
        _header_only,
        _future_version,
        _undecodable_metadata,
        _metadata_of_the_wrong_shape,
        _longer,
    ],
)
def test_disk_treats_a_damaged_file_as_a_miss_and_removes_it(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    cache = DiskResultCache(tmp_path)
    put(cache, key("a"), result())
    path = entry_path(tmp_path, key("a"))
    path.write_bytes(damage(path.read_bytes()))
    assert get(cache, key("a")) is None
    assert not path.exists()
    put(cache, key("a"), result())
    assert get(cache, key("a")) == result()


def test_disk_leaves_no_temporary_files(tmp_path: Path) -> None:
    cache = DiskResultCache(tmp_path)
    for index in range(5):
        put(cache, key(str(index)), result(bytes([index]) * 100))
        put(cache, key(str(index)), result(bytes([index]) * 200))
    entries = {entry_path(tmp_path, key(str(index))) for index in range(5)}
    assert set(files_under(tmp_path)) == entries


def test_disk_concurrent_puts_of_one_key_leave_one_valid_entry(tmp_path: Path) -> None:
    caches = [DiskResultCache(tmp_path), DiskResultCache(tmp_path)]
    candidates = [result(bytes([index]) * (5_000 + index)) for index in range(24)]

    async def scenario() -> None:
        await asyncio.gather(
            *(caches[i % 2].put(key("a"), entry) for i, entry in enumerate(candidates))
        )

    asyncio.run(scenario())
    assert get(DiskResultCache(tmp_path), key("a")) in candidates
    assert files_under(tmp_path) == [entry_path(tmp_path, key("a"))]


def test_disk_delete_during_puts_neither_fails_nor_leaves_a_broken_entry(tmp_path: Path) -> None:
    cache = DiskResultCache(tmp_path)
    keys = [key(str(index)) for index in range(30)]

    async def scenario() -> None:
        puts = [cache.put(entry_key, result()) for entry_key in keys]
        await asyncio.gather(*puts[:15], cache.delete_tenant("shop"), *puts[15:])

    asyncio.run(scenario())
    assert {get(cache, entry_key) for entry_key in keys} <= {None, result()}
    assert not [path for path in files_under(tmp_path) if path.name.startswith(".")]


def test_disk_delete_tenant_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = DiskResultCache(tmp_path)
    put(cache, key("a"), result())
    put(cache, key("a", "other"), result())
    assert asyncio.run(cache.delete_tenant("shop")) == 1
    assert files_under(tmp_path) == [entry_path(tmp_path, key("a", "other"))]


@pytest.mark.parametrize("tenant", ["../escape", "a/b", "..", ".", ""])
def test_disk_refuses_unsafe_tenant_names(tmp_path: Path, tenant: str) -> None:
    cache = DiskResultCache(tmp_path / "cache")
    unsafe = ResultKey(tenant, hashlib.sha256(b"a").hexdigest())
    with pytest.raises(ValueError):
        put(cache, unsafe, result())
    with pytest.raises(ValueError):
        asyncio.run(cache.delete_tenant(tenant))
    assert files_under(tmp_path) == []


def test_disk_refuses_a_digest_that_is_not_hexadecimal(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        get(DiskResultCache(tmp_path), ResultKey("shop", "../../etc/passwd"))


def test_disk_a_failed_write_is_dropped_without_leftovers(tmp_path: Path) -> None:
    # A directory where the entry belongs makes the final rename fail.
    blocker = entry_path(tmp_path, key("a"))
    blocker.mkdir(parents=True)
    cache = DiskResultCache(tmp_path)
    put(cache, key("a"), result())
    assert get(cache, key("a")) is None
    assert list(blocker.parent.iterdir()) == [blocker]
