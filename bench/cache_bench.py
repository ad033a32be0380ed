"""How fast the service answers a memory hit, against a bare Litestar route sending the same bytes.

Both apps run in this process and are driven the same way: an `httpx.AsyncClient` over
`httpx.ASGITransport` (no sockets, so the numbers are the apps' own cost plus the client's),
`CONCURRENCY` requests in flight, `REQUESTS` per round, rounds alternating between the two.

- baseline: the same URL on a Litestar app whose one route (`/media_stream-image/{rest:path}`,
  as the service's) returns the result's bytes, so the client and the router cost the same;
- service:  `GET /media_stream-image/...webp` on the real app (`make_app`, correlation IDs
  included) after one miss made the result: route parsing, the use case, the in-process
  coalescing, the tiered cache's memory hit, access counting and every response header.

Prints requests per second (best round of each) and the service's share of the baseline, by
wall clock and by this process's CPU time (the second is steadier on a box that runs other
work: time another process takes from this one is not counted against either app).
Run: `make bench` or `.venv/bin/python bench/cache_bench.py`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from litestar import Litestar, Response, get
from litestar.types import ASGIApp

from entrypoints.composition import build_container, close_container, open_container
from entrypoints.http.app import make_app
from entrypoints.settings import Settings

REQUESTS = 4000
CONCURRENCY = 32
ROUNDS = 5
IMAGE = (
    "/media_stream-image/media/webside/uploads/products/foo.jpg"
    "/300/200/cover/center/transparent/0/80.webp"
)


def bare_app(body: bytes) -> Litestar:
    @get("/media_stream-image/{rest:path}", sync_to_thread=False)
    def image(rest: str) -> Response[bytes]:
        return Response(body, media_type="image/webp", headers={"ETag": '"bench"'})

    return Litestar(route_handlers=[image], logging_config=None, openapi_config=None)


async def requests_per_second(app: ASGIApp, path: str) -> tuple[float, float]:
    """Requests per second of one round: by wall clock, and by this process's CPU time."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        remaining = REQUESTS

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        wall = time.perf_counter() - started
        return REQUESTS / wall, REQUESTS / max(time.process_time() - cpu, 1e-9)


def bench_settings(cache_dir: Path) -> Settings:
    """A node on embedded defaults, quiet, whose rate limiter runs on every request (its cost
    is measured) but never blocks."""
    return Settings(
        CACHE_FILE_DIRECTORY=cache_dir,
        LOG_LEVEL="warning",
        REDIS_URL="",
        RATE_LIMIT_IMAGE_MAX_REQUESTS=10**9,
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        container = build_container(bench_settings(Path(cache_dir)))
        service = make_app(container)
        await open_container(container)  # ASGITransport sends no lifespan events
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            miss, hit = await client.get(IMAGE), await client.get(IMAGE)
        if (miss.headers["x-cache"], hit.headers["x-cache"]) != ("MISS", "HIT-MEMORY"):
            raise RuntimeError(f"expected a miss then a memory hit, got {miss}, {hit}")
        baseline = bare_app(hit.content)
        print(f"{REQUESTS} requests per round, {CONCURRENCY} in flight, {ROUNDS} rounds")
        print(f"result: {len(hit.content)} bytes of image/webp")
        wall = {"baseline": 0.0, "service": 0.0}
        cpu = dict(wall)
        for _ in range(ROUNDS):
            for name, app in (("baseline", baseline), ("service", service)):
                by_wall, by_cpu = await requests_per_second(app, IMAGE)
                wall[name], cpu[name] = max(wall[name], by_wall), max(cpu[name], by_cpu)
        await close_container(container)
    print(f"{'':<40} {'wall':>9} {'CPU':>9} (req/s)")
    print(f"{'bare Litestar route, same bytes':<40} {wall['baseline']:9.0f} {cpu['baseline']:9.0f}")
    print(f"{'media-stream memory hit':<40} {wall['service']:9.0f} {cpu['service']:9.0f}")
    print(
        f"ratio service/baseline: {wall['service'] / wall['baseline']:.2f} (wall), "
        f"{cpu['service'] / cpu['baseline']:.2f} (CPU)"
    )


if __name__ == "__main__":
    asyncio.run(main())
