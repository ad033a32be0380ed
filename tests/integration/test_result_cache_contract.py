"""The ResultCache contract, run on the memory and the disk layer; then what only disk promises."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.disk import DiskResultCache
from adapters.memory import MemoryResultCache
from application.ports.result_cache import ResultCache
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import CacheStatus, ImageResult

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


MAKERS: dict[str, Callable[[Path], ResultCache]] = {
    "memory": lambda _: MemoryResultCache(max_bytes=10 * 1024 * 1024, max_keys=1000),
    "disk": lambda root: DiskResultCache(root),
}


@pytest.fixture(params=sorted(MAKERS))
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> ResultCache:
    return MAKERS[request.param](tmp_path)


# --- the contract --------------------------------------------------------------------------


def test_round_trip_keeps_bytes_format_etag_and_time(cache: ResultCache) -> None:
    stored = result()
    put(cache, key("a"), stored)
    found = get(cache, key("a"))
    assert found == stored
    assert found is not None
    assert (found.data, found.format, found.etag, found.produced_at) == (
        PAYLOAD,
        OutputFormat.WEBP,
        stored.etag,
        1_717_171_717,
    )


def test_a_missing_key_is_none(cache: ResultCache) -> None:
    put(cache, key("a"), result())
    assert get(cache, key("b")) is None
    assert get(cache, key("a", tenant="other")) is None


def test_a_put_replaces_the_previous_result(cache: ResultCache) -> None:
    put(cache, key("a"), result(b"first", OutputFormat.PNG))
    put(cache, key("a"), result(b"second", OutputFormat.AVIF))
    assert get(cache, key("a")) == result(b"second", OutputFormat.AVIF)


def test_an_empty_result_round_trips(cache: ResultCache) -> None:
    put(cache, key("a"), result(b""))
    assert get(cache, key("a")) == result(b"")


def test_delete_tenant_removes_only_that_tenant(cache: ResultCache) -> None:
    for name in ("a", "b", "c"):
        put(cache, key(name, "shop"), result())
    put(cache, key("a", "other"), result(b"theirs"))
    assert asyncio.run(cache.delete_tenant("shop")) == 3
    assert [get(cache, key(name, "shop")) for name in ("a", "b", "c")] == [None] * 3
    assert get(cache, key("a", "other")) == result(b"theirs")
    assert asyncio.run(cache.delete_tenant("shop")) == 0


def test_a_tenant_can_be_filled_again_after_deletion(cache: ResultCache) -> None:
    put(cache, key("a"), result(b"old"))
    asyncio.run(cache.delete_tenant("shop"))
    put(cache, key("a"), result(b"new"))
    assert get(cache, key("a")) == result(b"new")


def test_hit_status_names_the_layer(cache: ResultCache) -> None:
    expected = {
        MemoryResultCache: CacheStatus.HIT_MEMORY,
        DiskResultCache: CacheStatus.HIT_DISK,
    }
    assert cache.hit_status is expected[type(cache)]


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
