"""The playground's routes (ADR 29): the page under its own policy, its script and style
sheet, the shipped samples, and the cache figures anyone may read."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from adapters.memory.access_index import MemoryAccessIndex
from application.cache_figures import MemoryFigures, ReportCacheFigures
from application.storage_usage import MeasureStorage
from application.tiered_cache import LayerCounters, TieredResultCache
from domain.result import CacheLayer
from domain.storage import StorageLevel, StorageThresholds
from entrypoints.http.app import make_app
from entrypoints.http.playground import PLAYGROUND_CSP
from entrypoints.settings import SAMPLES_DIRECTORY
from tests.support import images
from tests.support.node import node

IMAGE = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"
SHIPPED = [
    "media/webside/uploads/blog/cover.png",
    "media/webside/uploads/products/foo.jpg",
    "media/webside/uploads/products/spinner.gif",
    "static/images/badge.svg",
    "static/images/logo.png",
]


def client_for(tmp_path: Path, **settings: object) -> TestClient:
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    return TestClient(app=make_app(node(tmp_path, origin=origin, **settings)))


def test_the_page_loads_only_its_own_script_and_style_sheet(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        page = client.get("/")
        linked = re.findall(r'(?:src|href)="(/[^"]*)"', page.text)
        assets = {path: client.get(path) for path in linked}
        robots = client.get("/robots.txt")

    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers.get_list("content-security-policy") == [PLAYGROUND_CSP]
    assert "'unsafe-inline'" not in PLAYGROUND_CSP
    assert "<script>" not in page.text
    assert "style=" not in page.text
    assert sorted(assets) == ["/", "/playground/playground.css", "/playground/playground.js"]
    assert assets["/playground/playground.js"].headers["content-type"].startswith("text/javascript")
    assert assets["/playground/playground.css"].headers["content-type"].startswith("text/css")
    assert robots.headers["content-type"] == "text/plain; charset=utf-8"
    # the assets keep the strict policy of every other answer
    assert assets["/playground/playground.js"].headers["content-security-policy"] == STRICT_CSP


def test_the_samples_are_listed_when_the_origin_is_the_shipped_directory(tmp_path: Path) -> None:
    with client_for(tmp_path, BACKEND_URL=SAMPLES_DIRECTORY.as_uri()) as client:
        listed = client.get("/playground/samples").json()["samples"]

    assert listed == SHIPPED
    assert all((SAMPLES_DIRECTORY / path).is_file() for path in listed)


def test_no_samples_are_listed_for_another_origin(tmp_path: Path) -> None:
    elsewhere = tmp_path / "originals"
    (elsewhere / "static" / "images").mkdir(parents=True)
    (elsewhere / "static" / "images" / "private.png").write_bytes(images.png_with_alpha(4, 4))

    with client_for(tmp_path / "cache", BACKEND_URL=elsewhere.as_uri()) as client:
        assert client.get("/playground/samples").json() == {"samples": []}
    with client_for(tmp_path / "other", BACKEND_URL="https://shop.example") as client:
        assert client.get("/playground/samples").json() == {"samples": []}


def test_the_status_counts_hits_per_layer_and_the_memory_fill(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        before = client.get("/playground/status").json()
        client.get(IMAGE)
        second = client.get(IMAGE)
        after = client.get("/playground/status")

    assert second.headers["x-cache"] == "HIT-MEMORY"
    assert after.headers["cache-control"] == "no-store"
    assert before["layers"][0] == {"layer": "memory", "hits": 0, "misses": 0, "hitRatio": None}
    body = after.json()
    memory, disk = body["layers"]
    assert memory == {"layer": "memory", "hits": 1, "misses": 1, "hitRatio": 0.5}
    assert (disk["layer"], disk["hits"], disk["misses"]) == ("disk", 0, 1)
    assert body["memory"]["entries"] == 1
    assert body["memory"]["bytes"] == len(second.content)
    assert body["storage"]["level"] == "ok"
    assert set(body) == {"layers", "memory", "storage"}  # aggregates, nothing else


def test_without_an_access_index_the_storage_figures_are_null(tmp_path: Path) -> None:
    with client_for(tmp_path, ACCESS_INDEX_ENABLED=False) as client:
        body = client.get("/playground/status").json()

    assert body["storage"] is None
    assert [layer["layer"] for layer in body["layers"]] == ["memory", "disk"]


def figures_with(index: MemoryAccessIndex) -> ReportCacheFigures:
    cache = TieredResultCache(
        [MemoryResultCache(max_bytes=1 << 20, max_keys=10, layer=CacheLayer.MEMORY)]
    )
    measure = MeasureStorage(index, lambda: StorageThresholds(warning_files=1))
    return ReportCacheFigures(cache, lambda: MemoryFigures(10, 1, 100), measure)


def test_the_disk_figures_follow_the_index_and_vanish_while_it_is_down() -> None:
    index = MemoryAccessIndex()
    report = figures_with(index)

    up = asyncio.run(report())
    index.unavailable = True
    down = asyncio.run(report())

    assert up.stored is not None
    assert (up.stored.used.files, up.stored.level) == (0, StorageLevel.OK)
    assert down.stored is None
    assert down.memory == MemoryFigures(10, 1, 100)


@pytest.mark.parametrize(("hits", "misses", "ratio"), [(0, 0, None), (3, 1, 0.75), (0, 2, 0.0)])
def test_a_layer_hit_ratio(hits: int, misses: int, ratio: float | None) -> None:
    assert LayerCounters(hits, misses).hit_ratio == ratio
