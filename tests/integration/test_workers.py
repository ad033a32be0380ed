"""Real `media-stream worker` processes on the real Redis broker, with a real origin and real
`media-stream warm` and `jobs` commands; web nodes over real HTTP see what workers made.

Every process a test starts is stopped on the way out (context managers); every key is under
a prefix of the test's own, deleted afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import images
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer, RunningWorker, media_stream

pytestmark = pytest.mark.integration

PREFIX = "/media_stream-image/media/acme/uploads"
JPEG = images.jpeg(640, 480)
# a safety net for a stuck worker, not a measure
PATIENCE = 60.0
SECRET = "workers-secret"


def photo(delay: float = 0.0) -> Reply:
    return Reply(headers={"Content-Type": "image/jpeg"}, body=JPEG, delay=delay)


ROUTES = {
    **{f"/media/acme/uploads/p{n}.jpg": photo() for n in range(3)},
    **{f"/media/acme/uploads/slow{n}.jpg": photo(delay=1.5) for n in range(3)},
    "/media/acme/uploads/poison.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=b"\xff\xd8\xff" + b"\x00" * 600
    ),
}


def url(name: str, width: int = 160) -> str:
    return f"{PREFIX}/{name}/{width}/120/cover/center/FFFFFF/0/80.webp"


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ROUTES) as running:
        yield running


@pytest.fixture
def env(
    origin: LoopbackOrigin, redis_url: str, redis_prefix: str, tmp_path: Path
) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(tmp_path / "worker-disk"),
        "LOG_LEVEL": "warning",
        "LOG_FORMAT": "json",
        "IMAGE_WORKER_THREADS": "1",
        "IMAGE_RENDER_PROCESSES": "0",
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": redis_prefix,
        "INTERNAL_ADMIN_SECRET": SECRET,
        "JOBS_HEARTBEAT_TIMEOUT": "2000",
        "JOBS_RETRY_MIN_BACKOFF": "50",
        "JOBS_RETRY_MAX_BACKOFF": "100",
    }


def url_file(tmp_path: Path, *names: str) -> Path:
    listing = tmp_path / "urls.txt"
    listing.write_text("# catalogue\n" + "".join(f"{url(name)}\n" for name in names))
    return listing


def fetches(origin: LoopbackOrigin, name: str) -> int:
    return origin.paths.count(f"/media/acme/uploads/{name}")


def test_pregenerated_variants_are_redis_hits_on_a_web_node_and_a_failure_exits_1(
    env: dict[str, str], origin: LoopbackOrigin, tmp_path: Path
) -> None:
    listing = url_file(tmp_path, "p0.jpg", "p1.jpg", "missing.jpg")
    web_env = {**env, "CACHE_FILE_DIRECTORY": str(tmp_path / "web-disk")}
    with RunningWorker(env, tmp_path / "worker.log", "--threads", "2"):
        warmed = media_stream(env, "warm", "--file", str(listing), "--wait")
        with RunningServer(web_env, tmp_path / "web.log") as web:
            answers = [httpx.get(web.url(url(name)), timeout=30) for name in ("p0.jpg", "p1.jpg")]
    assert warmed.returncode == 1, warmed.stderr
    assert warmed.stdout.strip().splitlines() == [f"failed: {url('missing.jpg')}"]
    assert [answer.headers["X-Cache"] for answer in answers] == ["HIT-REDIS", "HIT-REDIS"]
    assert [answer.content[8:12] for answer in answers] == [b"WEBP", b"WEBP"]
    assert fetches(origin, "p0.jpg") == 1  # the worker's fetch only
    stored = [path for path in (tmp_path / "worker-disk" / "results").rglob("*") if path.is_file()]
    assert len(stored) == 2  # and on the worker's disk


def test_a_worker_killed_mid_job_loses_nothing_a_second_worker_finishes_every_job(
    env: dict[str, str], origin: LoopbackOrigin, tmp_path: Path
) -> None:
    names = ("slow0.jpg", "slow1.jpg", "slow2.jpg")
    listing = url_file(tmp_path, *names)
    warm = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli.main", "warm", "--file", str(listing), "--wait"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with RunningWorker(env, tmp_path / "first.log", "--threads", "1") as first:
            deadline = time.monotonic() + PATIENCE
            while not any(fetches(origin, name) for name in names):  # a job is in hand
                assert time.monotonic() < deadline, first.log_text()
                time.sleep(0.02)
            first.kill()
        with RunningWorker(env, tmp_path / "second.log", "--threads", "2"):
            out, err = warm.communicate(timeout=PATIENCE)
        web_env = {**env, "CACHE_FILE_DIRECTORY": str(tmp_path / "web-disk")}
        with RunningServer(web_env, tmp_path / "web.log") as web:
            answers = [httpx.get(web.url(url(name)), timeout=30) for name in names]
    finally:
        if warm.poll() is None:
            warm.kill()
            warm.wait()
    assert warm.returncode == 0, out + err
    assert "3/3 done, 0 failed" in err
    assert {answer.headers["X-Cache"] for answer in answers} == {"HIT-REDIS"}


def test_a_poison_image_ends_in_the_dead_letters_and_retry_dead_queues_it_again(
    env: dict[str, str], origin: LoopbackOrigin, tmp_path: Path
) -> None:
    listing = url_file(tmp_path, "poison.jpg")
    with RunningWorker(env, tmp_path / "worker.log"):
        warmed = media_stream(env, "warm", "--file", str(listing), "--wait")
        stats = media_stream(env, "jobs", "stats")
    retried = media_stream(env, "jobs", "retry-dead")
    after = media_stream(env, "jobs", "stats")
    assert warmed.returncode == 1
    assert fetches(origin, "poison.jpg") == 1  # a lasting failure: not retried
    assert counts(stats.stdout, "pregenerate") == ["0", "0", "0", "1"], stats.stdout
    assert "queued 1 dead jobs again" in retried.stdout
    assert counts(after.stdout, "pregenerate") == ["1", "0", "0", "0"], after.stdout


def counts(table: str, queue: str) -> list[str]:
    """waiting, retrying, in progress, dead: the row of `queue` in `jobs stats`."""
    row = next(line for line in table.splitlines() if f" {queue} " in line)
    return [cell.strip() for cell in row.split("│")[2:6]]


def transforms(web: RunningServer) -> float:
    """The web process's renders, from its own /metrics."""
    answer = httpx.get(web.url("/metrics"), headers={"X-Internal-Secret": SECRET}, timeout=10)
    assert answer.status_code == 200
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in answer.text.splitlines()
        if line.startswith("mediastream_image_processing_total{") and "success" in line
    )


def test_a_heavy_miss_is_rendered_by_a_worker_and_inline_when_no_worker_runs(
    env: dict[str, str], origin: LoopbackOrigin, tmp_path: Path
) -> None:
    heavy = {**env, "OFFLOAD_MIN_PIXELS": "300000", "OFFLOAD_MAX_WAIT": "30000"}  # 640x480
    web_env = {**heavy, "CACHE_FILE_DIRECTORY": str(tmp_path / "web-disk")}
    with RunningServer(web_env, tmp_path / "web.log") as web:
        with RunningWorker(heavy, tmp_path / "worker.log") as worker:
            offloaded = httpx.get(
                web.url(url("p0.jpg")), headers={"X-Correlation-ID": "heavy-42"}, timeout=60
            )
            by_web = transforms(web)
            job_lines = [line for line in worker.log_text().splitlines() if '"job generate' in line]
        inline = httpx.get(web.url(url("p1.jpg")), timeout=60)
        after = transforms(web)
    assert offloaded.status_code == 200
    assert offloaded.headers["X-Cache"] == "MISS"
    assert "X-Fallback" not in offloaded.headers
    assert images.open_image(offloaded.content).size == (160, 120)
    assert by_web == 0  # the worker rendered it
    assert len(job_lines) == 1  # one job for the key
    assert '"correlationId": "heavy-42"' in job_lines[0]
    assert inline.status_code == 200
    assert "X-Fallback" not in inline.headers
    assert images.open_image(inline.content).size == (160, 120)
    assert after == 1  # no worker alive: rendered by the web node itself


def test_of_two_nodes_sharing_redis_one_runs_the_warming_schedule(
    env: dict[str, str], tmp_path: Path
) -> None:
    schedule = {
        **env,
        "LOG_LEVEL": "info",
        "CACHE_WARMING_ON_START": "false",
        "CACHE_WARMING_INTERVAL": "1",
        "SCHEDULER_LEASE": "5000",
    }
    logs = [tmp_path / "a.log", tmp_path / "b.log"]

    def warmings() -> list[int]:
        return [log.read_text().count("cache warming copied") for log in logs]

    with (
        RunningServer({**schedule, "CACHE_FILE_DIRECTORY": str(tmp_path / "a")}, logs[0]),
        RunningServer({**schedule, "CACHE_FILE_DIRECTORY": str(tmp_path / "b")}, logs[1]),
    ):
        deadline = time.monotonic() + PATIENCE
        while sum(warmings()) < 4:
            assert time.monotonic() < deadline, warmings()
            time.sleep(0.1)
        counts = warmings()
    assert sorted(counts)[0] == 0, counts  # every warming ran on the same node
