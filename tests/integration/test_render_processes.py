"""Renders in processes of their own (ADR 21), through the real server over real HTTP."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import wait
from pathlib import Path

import httpx
import pytest
from PIL import Image

from adapters.pillow.guards import SourceLimits
from adapters.pillow.processes import (
    MAX_SEGMENT_BYTES,
    SEGMENT_BYTES,
    SEGMENT_PREFIX,
    RenderProcesses,
    SharedOriginals,
    sweep_orphaned_segments,
)
from tests.support import images
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

PREFIX = "/media_stream-image/media/acme/uploads"
PHOTO = images.jpeg(1600, 1200)


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    routes = {
        "/media/acme/uploads/photo.jpg": Reply(headers={"Content-Type": "image/jpeg"}, body=PHOTO)
    }
    with LoopbackOrigin(routes) as running:
        yield running


def server_env(origin: LoopbackOrigin, directory: Path) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(directory / "cache"),
        "LOG_LEVEL": "warning",
        "IMAGE_RENDER_PROCESSES": "2",
        "RATE_LIMIT_ENABLED": "false",
    }


@pytest.fixture
def server(origin: LoopbackOrigin, tmp_path: Path) -> Iterator[RunningServer]:
    with RunningServer(server_env(origin, tmp_path), tmp_path / "server.log") as running:
        yield running


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def render(server: RunningServer, width: int, tenant_path: str = PREFIX) -> httpx.Response:
    path = f"{tenant_path}/photo.jpg/{width}/0/inside/center/FFFFFF/0/80.jpg"
    return httpx.get(server.url(path), timeout=30)


def wait_for_children(pid: int, count: int) -> set[int]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = children(pid)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    return children(pid)


def test_renders_in_two_processes_answer_the_asked_size(server: RunningServer) -> None:
    answers = [render(server, width) for width in (300, 400, 500)]

    for width, answer in zip((300, 400, 500), answers, strict=True):
        assert answer.status_code == 200
        assert answer.headers["x-cache"] == "MISS"
        assert "x-fallback" not in answer.headers
        assert answer.content[:3] == b"\xff\xd8\xff"
        assert Image.open(io.BytesIO(answer.content)).size == (width, width * 3 // 4)
    assert len(wait_for_children(server.pid, 2)) >= 2


def test_a_killed_render_process_is_replaced(server: RunningServer) -> None:
    assert render(server, 320).status_code == 200
    for child in wait_for_children(server.pid, 2):
        os.kill(child, signal.SIGKILL)
    time.sleep(0.5)

    answers = [render(server, width) for width in (330, 340, 350)]

    # at most the render in flight when the pool broke is lost; the pool is then restarted
    assert answers[-1].status_code == 200
    assert "x-fallback" not in answers[-1].headers
    assert answers[-1].content[:3] == b"\xff\xd8\xff"


def test_sigterm_stops_the_server_and_its_render_processes(server: RunningServer) -> None:
    assert render(server, 300).status_code == 200
    workers = wait_for_children(server.pid, 2)

    server.send_signal(signal.SIGTERM)

    assert server.wait(15) == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{child}").exists() for child in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{child}").exists() for child in workers)


def test_sighup_reload_still_answers_renders(server: RunningServer) -> None:
    assert render(server, 300).status_code == 200

    server.send_signal(signal.SIGHUP)
    time.sleep(0.5)

    answer = render(server, 310)
    assert answer.status_code == 200
    assert answer.content[:3] == b"\xff\xd8\xff"
    assert server.alive


def shared_segments(pid: int) -> set[str]:
    """The shared-memory segments process `pid` has mapped."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return set(re.findall(r"/dev/shm/(media-stream-original-[0-9]+-[0-9a-f]+)", maps))


def test_originals_travel_in_shared_memory_unlinked_at_stop(server: RunningServer) -> None:
    answers = [render(server, width) for width in (300, 301, 302)]
    segments = shared_segments(server.pid)

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert 1 <= len(segments) <= 3  # reused from render to render: at most workers + 1
    assert all(Path("/dev/shm", name).exists() for name in segments)
    server.send_signal(signal.SIGTERM)
    assert server.wait(15) == 0
    assert not any(Path("/dev/shm", name).exists() for name in segments)


def test_every_original_arrives_whole_by_shared_memory_or_by_the_pipe() -> None:
    pool = RenderProcesses(1, SourceLimits(50_000_000, 500, 100_000_000, 20.0))
    try:
        small, grown = os.urandom(1000), os.urandom(SEGMENT_BYTES + 5)
        huge = os.urandom(MAX_SEGMENT_BYTES + 1)  # over the segment size: the pipe
        originals = [small, grown, huge, small[::-1]] + [os.urandom(50_000) for _ in range(6)]
        # ten at once: more than the two segments of one process, the rest take the pipe
        futures = [pool.submit_with_original(zlib.crc32, data) for data in originals]
        wait(futures, timeout=60)

        assert [future.result() for future in futures] == [zlib.crc32(d) for d in originals]
        again = pool.submit_with_original(zlib.crc32, grown).result(timeout=30)
        assert again == zlib.crc32(grown)
    finally:
        pool.shutdown()


def test_segments_left_by_a_process_that_is_gone_are_removed_at_start(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(gone.stdout)
    left = tmp_path / f"{SEGMENT_PREFIX}-{dead_pid}-0a1b2c"
    mine = tmp_path / f"{SEGMENT_PREFIX}-{os.getpid()}-3d4e5f"
    unrelated = tmp_path / f"psm_{dead_pid}"
    for path in (left, mine, unrelated):
        path.write_bytes(b"x")

    assert sweep_orphaned_segments(tmp_path) == 1
    assert not left.exists()
    assert mine.exists()  # a running process's segment is never touched
    assert unrelated.exists()  # nor anything this module did not name
    assert sweep_orphaned_segments(tmp_path / "absent") == 0


def test_a_server_killed_with_its_resource_tracker_leaves_segments_the_next_removes(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    first = RunningServer(server_env(origin, tmp_path / "one"), tmp_path / "one.log")
    with first:
        assert render(first, 300).status_code == 200
        segments = shared_segments(first.pid)
        os.killpg(first.pid, signal.SIGKILL)  # the server, its render processes, the tracker
        first.wait(15)
    assert segments
    assert all(Path("/dev/shm", name).exists() for name in segments)

    with RunningServer(server_env(origin, tmp_path / "two"), tmp_path / "two.log"):
        assert not any(Path("/dev/shm", name).exists() for name in segments)


def test_segments_are_reused_grown_to_fit_and_unlinked_when_closed() -> None:
    originals = SharedOriginals(2)
    first = originals.lend(b"a" * 100)
    second = originals.lend(b"b" * 100)
    assert first is not None
    assert second is not None
    assert originals.lend(b"c") is None  # both lent: the pipe
    assert bytes(first.buf[:100]) == b"a" * 100

    originals.give_back(first)
    reused = originals.lend(b"d" * 10)
    assert reused is not None
    assert reused.name == first.name
    originals.give_back(reused)
    grown = originals.lend(b"e" * (SEGMENT_BYTES + 1))  # too large for the free one
    assert grown is not None
    assert grown.name != first.name
    assert grown.size == 2 * SEGMENT_BYTES
    assert not Path("/dev/shm", first.name).exists()  # the small one was unlinked
    assert originals.lend(b"f" * (MAX_SEGMENT_BYTES + 1)) is None

    originals.give_back(grown)
    originals.close()
    assert not Path("/dev/shm", grown.name).exists()
    assert Path("/dev/shm", second.name).exists()  # still lent: it goes when given back
    originals.give_back(second)
    assert not Path("/dev/shm", second.name).exists()
