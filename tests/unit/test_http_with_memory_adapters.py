"""The HTTP app built by the container, with the origin swapped for an in-memory one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from application.tiered_cache import TieredResultCache
from entrypoints.container import Container, build_container
from entrypoints.http.app import make_litestar
from entrypoints.settings import Settings
from tests.support import images

URL = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"


@pytest.fixture
def origin() -> MemoryOriginFetcher:
    return MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})


@pytest.fixture
def container(origin: MemoryOriginFetcher, tmp_path: Path) -> Iterator[Container]:
    container = build_container(Settings(CACHE_FILE_DIRECTORY=tmp_path, IMAGE_WORKER_THREADS=1))
    memory_only = TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=10)])
    with (
        container.adapters.origin.override(providers.Object(origin)),
        container.adapters.result_cache.override(providers.Object(memory_only)),
    ):
        yield container


def test_the_container_wires_the_route_to_the_swapped_origin(
    container: Container, origin: MemoryOriginFetcher, tmp_path: Path
) -> None:
    with TestClient(app=make_litestar(container)) as client:
        first = client.get(URL)
        second = client.get(URL)

    assert first.status_code == 200
    assert images.open_image(first.content).size == (40, 30)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT-MEMORY")
    assert origin.requests == ["media/acme/uploads/a.jpg"]
    assert not (tmp_path / "results").exists()  # the disk layer was swapped out too
    assert origin.closed  # shutdown released the origin
