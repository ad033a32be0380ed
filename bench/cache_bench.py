"""How fast the service answers a memory hit, against a bare Litestar route sending the same bytes.

Both apps run in this process and are driven the same way: an `httpx.AsyncClient` over
`httpx.ASGITransport` (no sockets, so the numbers are the apps' own cost plus the client's),
`CONCURRENCY` requests in flight, `REQUESTS` per round, rounds alternating between the two.

- baseline: the same URL on a Litestar app whose one route (`/media_stream-image/{rest:path}`,
  as the service's) returns the result's bytes, so the client and the router cost the same;
- service:  `GET /media_stream-image/...webp` on the real app (`make_app`, correlation IDs
  included) after one miss made the result: route parsing, the use case, the in-process
  coalescing, the tiered cache's memory hit, access counting and every response header.

Prints requests per second (best round of each) and the service's share of the baseline.
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


async def requests_per_second(app: ASGIApp, path: str) -> float:
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

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return REQUESTS / (time.perf_counter() - started)


async def main() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        settings = Settings(
            CACHE_FILE_DIRECTORY=Path(cache_dir),
            LOG_LEVEL="warning",
            REDIS_URL="",
            # the limiter still runs on every request (its cost is measured), but never blocks
            RATE_LIMIT_IMAGE_MAX_REQUESTS=10**9,
        )
        container = build_container(settings)
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
        best = {"baseline": 0.0, "service": 0.0}
        for _ in range(ROUNDS):
            best["baseline"] = max(best["baseline"], await requests_per_second(baseline, IMAGE))
            best["service"] = max(best["service"], await requests_per_second(service, IMAGE))
        await close_container(container)
    print(f"{'bare Litestar route, same bytes':<40} {best['baseline']:9.0f} req/s")
    print(f"{'media-stream memory hit':<40} {best['service']:9.0f} req/s")
    print(f"ratio service/baseline: {best['service'] / best['baseline']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
