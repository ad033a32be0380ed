"""Storage management on the real server: eviction past STORAGE_MAX_SIZE keeps the hot results
(disk hits after a restart), and a SIGKILL between batches loses no result file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.disk.result_cache import decode_entry
from tests.support import images
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration
PREFIX = "/media_stream-image/media/acme/uploads/photo.jpg"
WAIT = 20.0


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    routes = {
        "/media/acme/uploads/photo.jpg": Reply(
            headers={"Content-Type": "image/jpeg"}, body=images.jpeg()
        )
    }
    with LoopbackOrigin(routes) as running:
        yield running


def env(origin: LoopbackOrigin, cache: Path, **extra: str) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(cache),
        "LOG_LEVEL": "warning",
        "IMAGE_WORKER_THREADS": "2",
        "IMAGE_RENDER_PROCESSES": "0",
        "CACHE_WARMING_ENABLED": "false",
        "ACCESS_INDEX_FLUSH_INTERVAL": "100",
        "STORAGE_CHECK_INTERVAL": "600000",
        **extra,
    }


def url(width: int) -> str:
    return f"{PREFIX}/{width}/0/inside/center/FFFFFF/0/80.webp"


def rows(cache: Path) -> set[str]:
    with sqlite3.connect(cache / "access-index.sqlite3") as db:
        return {f"{t}:{d}" for t, d in db.execute("SELECT tenant, digest FROM stored_results")}


def files(cache: Path) -> dict[str, int]:
    found = {}
    for path in (cache / "results").rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            found[f"{path.parent.parent.name}:{path.name}"] = path.stat().st_size
    return found


def wait_for_rows(cache: Path, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if (cache / "access-index.sqlite3").exists() and len(rows(cache)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the index has {len(rows(cache))} rows, not {count}")


def cli(environment: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_eviction_past_the_max_size_keeps_hot_results_on_disk_across_a_restart(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    environment = env(origin, cache)
    cold, hot = range(100, 130), range(300, 303)
    with RunningServer(environment, tmp_path / "a.log") as server, httpx.Client() as client:
        for width in [*cold, *hot]:
            assert client.get(server.url(url(width))).headers["X-Cache"] == "MISS"
        for _ in range(6):
            for width in hot:
                client.get(server.url(url(width)))
        wait_for_rows(cache, len(cold) + len(hot))
        total = sum(files(cache).values())
        limits = {
            "STORAGE_MAX_SIZE": str(total * 3 // 4),
            "STORAGE_CRITICAL_SIZE": str(total * 3 // 4),
            "STORAGE_WARNING_SIZE": str(total // 2),
            "STORAGE_EVICTION_GRACE": "0",
        }
        assert "level critical" in cli({**environment, **limits}, "storage", "stats")
        # while the server runs, as an operator would
        cli({**environment, **limits}, "storage", "evict")

    remaining = files(cache)
    assert sum(remaining.values()) <= int(total // 2 * 0.8)
    assert set(remaining) == rows(cache)
    with RunningServer(environment, tmp_path / "b.log") as server, httpx.Client() as client:
        for width in hot:
            assert client.get(server.url(url(width))).headers["X-Cache"] == "HIT-DISK"
        misses = [w for w in cold if client.get(server.url(url(w))).headers["X-Cache"] == "MISS"]
        assert len(misses) == len(cold) + len(hot) - len(remaining) > 0


def test_a_server_killed_between_batches_loses_no_result_file(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    environment = env(
        origin, cache, ACCESS_INDEX_FLUSH_INTERVAL="60000", ACCESS_INDEX_BATCH_SIZE="5"
    )
    server = RunningServer(environment, tmp_path / "a.log")
    with server, httpx.Client() as client:
        for width in range(100, 105):  # one whole batch
            client.get(server.url(url(width)))
        wait_for_rows(cache, 5)
        for width in range(105, 108):  # pending when the server dies
            client.get(server.url(url(width)))
        server.send_signal(signal.SIGKILL)
        server.wait()

    on_disk = files(cache)
    assert len(on_disk) == 8
    for path in (cache / "results").rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            decode_entry(path.read_bytes())  # raises on a torn file
    assert len(rows(cache)) == 5  # the pending batch is what was lost
    cli(environment, "storage", "reconcile")
    assert rows(cache) == set(on_disk)
    with RunningServer(environment, tmp_path / "b.log") as server, httpx.Client() as client:
        for width in range(100, 108):
            assert client.get(server.url(url(width))).headers["X-Cache"] == "HIT-DISK"
