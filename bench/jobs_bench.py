"""The web node's p99 on small images while a batch of heavy variants is pre-generated: by the
web node itself (no workers: a crawler asks it for every variant), then by a `media-stream
worker` (`media-stream warm --file ... --wait`), in one run, against one origin and one Redis.

    .venv/bin/python bench/jobs_bench.py [--heavy N] [--redis redis://127.0.0.1:6379/0]

Reported as the ratio of the two p99s (and each p99, for the record): the machine's noise
moves both. The worker shares this machine's CPUs with the web node, so the gain here is the
web's render slots kept free; on separate machines it is larger.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import images  # noqa: E402
from tests.support.origin_server import LoopbackOrigin, Reply  # noqa: E402
from tests.support.server import RunningServer, RunningWorker, media_stream  # noqa: E402

PREFIX = "/media_stream-image/media/acme/uploads"


def small_url(width: int, phase: int = 0) -> str:
    """A small miss: each phase asks its own sizes (100-999 px wide)."""
    width = 100 + width % 900
    return f"{PREFIX}/small.jpg/{width}/{width // 2 + phase}/cover/center/FFFFFF/0/80.webp"


def heavy_url(n: int, width: int) -> str:
    return f"{PREFIX}/heavy{n}.jpg/{width}/{width * 2 // 3}/cover/center/FFFFFF/0/80.webp"


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 2 else float("nan")


def small_latencies(web: RunningServer, phase: int, stop: threading.Event) -> list[float]:
    seconds: list[float] = []
    with httpx.Client(timeout=60) as client:
        width = 0
        while not stop.is_set():
            width += 1
            started = time.perf_counter()
            answer = client.get(web.url(small_url(width, phase)))
            seconds.append(time.perf_counter() - started)
            assert answer.status_code == 200, (answer.status_code, answer.text[:200])
    return seconds


def while_heavy(web: RunningServer, phase: int, heavy_work: object) -> tuple[list[float], float]:
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as prober:
        probe = prober.submit(small_latencies, web, phase, stop)
        started = time.perf_counter()
        heavy_work()  # type: ignore[operator]
        took = time.perf_counter() - started
        stop.set()
        return probe.result(), took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--heavy", type=int, default=12, help="heavy variants per phase")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    heavy_original = images.jpeg(4000, 3000, quality=85)
    routes = {"/media/acme/uploads/small.jpg": Reply(body=images.jpeg(400, 300))} | {
        f"/media/acme/uploads/heavy{n}.jpg": Reply(body=heavy_original) for n in range(args.heavy)
    }
    prefix = f"msbench:{uuid.uuid4().hex}:"
    work = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    try:
        with LoopbackOrigin(routes) as origin:
            env = {
                "BACKEND_URL": origin.base_url,
                "REDIS_URL": args.redis,
                "REDIS_KEY_PREFIX": prefix,
                "LOG_LEVEL": "warning",
                "IMAGE_WORKER_THREADS": "2",
                "IMAGE_RENDER_PROCESSES": "0",
                "OFFLOAD_MIN_PIXELS": "0",
                "RATE_LIMIT_ENABLED": "false",
            }
            web_env = {**env, "CACHE_FILE_DIRECTORY": str(work / "web")}
            worker_env = {**env, "CACHE_FILE_DIRECTORY": str(work / "worker")}
            with RunningServer(web_env, work / "web.log") as web:
                httpx.get(web.url(small_url(50)), timeout=60)  # first render: imports, pools

                def crawl() -> None:
                    with ThreadPoolExecutor(max_workers=4) as crawler:
                        list(
                            crawler.map(
                                lambda n: httpx.get(web.url(heavy_url(n, 1600)), timeout=300),
                                range(args.heavy),
                            )
                        )

                inline, inline_took = while_heavy(web, 0, crawl)
                listing = work / "urls.txt"
                listing.write_text("".join(f"{heavy_url(n, 1400)}\n" for n in range(args.heavy)))
                with RunningWorker(worker_env, work / "worker.log", "--threads", "2"):

                    def pregenerate() -> None:
                        done = media_stream(env, "warm", "--file", str(listing), "--wait")
                        assert done.returncode == 0, done.stderr

                    offloaded, offloaded_took = while_heavy(web, 1, pregenerate)
    finally:
        client = redis.Redis.from_url(args.redis)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    print(f"heavy variants per phase: {args.heavy} (4000x3000 JPEG -> 1600/1400 px WebP)")
    print(
        f"no workers:   {len(inline)} small requests, p99 {p99(inline) * 1000:.0f} ms, "
        f"batch {inline_took:.1f} s"
    )
    print(
        f"with workers: {len(offloaded)} small requests, p99 {p99(offloaded) * 1000:.0f} ms, "
        f"batch {offloaded_took:.1f} s"
    )
    print(f"p99 with workers / without: {p99(offloaded) / p99(inline):.2f}")


if __name__ == "__main__":
    main()
