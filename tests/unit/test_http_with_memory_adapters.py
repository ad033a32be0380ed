"""The HTTP app built by the container, with the origin swapped for an in-memory one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from application.tiered_cache import TieredResultCache
from entrypoints.composition import Container
from entrypoints.http.app import make_litestar
from tests.support import images
from tests.support.node import node

URL = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"


@pytest.fixture
def origin() -> MemoryOriginFetcher:
    return MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})


@pytest.fixture
def container(origin: MemoryOriginFetcher, tmp_path: Path) -> Iterator[Container]:
    memory_only = TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=10)])
    return node(tmp_path, origin=origin, result_cache=memory_only)


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
