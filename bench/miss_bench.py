"""Misses through the real server against plain Pillow, in one run, no other service needed.

- floor: `Image.open` + `draft` + `thumbnail` + JPEG save of a 4000x3000 photo-like JPEG to
  300x200, in as many processes as there are CPUs, source already in memory (images/s);
- service: `media-stream serve` (a subprocess on a free loopback port, `--workers` as given)
  fetching that JPEG from a loopback origin in this process, every request a new tenant so
  the cache never answers, `CONCURRENCY` requests in flight, for each case below (req/s).

Prints each rate, its share of the floor, and the CPU time the server's HTTP process spent per
miss (from /proc: the event loop's share of a miss, render processes not included).
Run: `make bench` (or with BENCH_SECONDS=20).
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from PIL import Image

from transform_bench import photo_like_jpeg

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = 16
CASES = {
    "cover 300x200 JPEG": "300/200/cover/center/FFFFFF/0/80.jpg",
    "cover 300x200 WebP": "300/200/cover/center/FFFFFF/0/80.webp",
    "inside 300x200 JPEG": "300/200/inside/center/FFFFFF/0/80.jpg",
}


def floor_once(original: bytes) -> int:
    image = Image.open(io.BytesIO(original))
    image.draft("RGB", (300, 200))
    image.thumbnail((300, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return len(buffer.getvalue())


def floor_rate(original: bytes, processes: int) -> float:
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(floor_once, [original] * processes))  # start and warm every process
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < SECONDS:
            done += len(list(pool.map(floor_once, [original] * processes * 4)))
        return done / (time.perf_counter() - started)


def serve_origin(body: bytes) -> ThreadingHTTPServer:
    class Origin(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` (Linux /proc), 0.0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def miss_rate(base_url: str, options: str) -> tuple[float, int]:
    """Misses per second over SECONDS, and how many were answered."""
    counter = 0
    salt = os.urandom(4).hex()
    deadline = time.perf_counter() + SECONDS
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:

        async def worker() -> None:
            nonlocal counter
            while time.perf_counter() < deadline:
                counter += 1
                tenant = f"b{salt}_{counter}"
                path = f"/media_stream-image/media/{tenant}/uploads/photo.jpg/{options}"
                answer = await client.get(path)
                if answer.headers.get("x-cache") != "MISS" or "x-fallback" in answer.headers:
                    raise RuntimeError(f"not a clean miss: {answer} {answer.headers}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return counter / (time.perf_counter() - started), counter


def start_service(origin_url: str, cache: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BACKEND_URL": origin_url,
        "CACHE_FILE_DIRECTORY": cache,
        "VALIDATION_ALLOWED_DOMAINS": "127.0.0.1",
        "RATE_LIMIT_ENABLED": "false",
        "REDIS_URL": "",
        "LOG_LEVEL": "error",
        # the grainy bench photo is about 6 MB, above the default JPEG cap
        "MAX_SOURCE_BYTES_JPEG": str(16 * 1024 * 1024),
    }
    command = [sys.executable, "-m", "entrypoints.cli.main", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def main() -> None:
    original = photo_like_jpeg()
    processes = os.cpu_count() or 1
    floor = floor_rate(original, processes)
    print(f"{'floor: draft + thumbnail, ' + str(processes) + ' processes':<40} {floor:7.1f} img/s")
    origin = serve_origin(original)
    port = free_port()
    with tempfile.TemporaryDirectory() as cache:
        service = start_service(f"http://127.0.0.1:{origin.server_port}", cache, port)
        try:
            for name, options in CASES.items():
                before = cpu_seconds(service.pid)
                rate, misses = asyncio.run(miss_rate(f"http://127.0.0.1:{port}", options))
                http_ms = (cpu_seconds(service.pid) - before) / max(1, misses) * 1000
                print(
                    f"{'miss: ' + name:<40} {rate:7.1f} req/s  {rate / floor:5.2f} of the floor"
                    f"  {http_ms:5.1f} ms CPU/miss in the HTTP process"
                )
        finally:
            service.terminate()
            service.wait(20)
            origin.shutdown()
    print(f"(source {len(original)} bytes, {Path(__file__).name}, {SECONDS:.0f} s per case)")


if __name__ == "__main__":
    main()
