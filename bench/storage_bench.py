"""Requests per second on the hit path with access recording on and off, in the same run.

Two apps in this process, driven alike (`httpx.ASGITransport`, `CONCURRENCY` in flight,
`REQUESTS` per round, rounds alternating): the real app with ACCESS_INDEX_ENABLED=true (every
hit counted, batches written to the SQLite index by the background task, which runs here) and
with false. Both answer memory hits of several results, so the recorder sees distinct keys.
Prints the best round of each and the ratio on/off.
Run: `.venv/bin/python bench/storage_bench.py`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from litestar.types import ASGIApp

from entrypoints.composition import Container, build_container, close_container, open_container
from entrypoints.http.app import make_app
from entrypoints.settings import Settings

REQUESTS = 3000
CONCURRENCY = 32
ROUNDS = 5
IMAGES = [
    f"/media_stream-image/media/webside/uploads/products/foo.jpg/{w}/200/cover/center/transparent/0/80.webp"
    for w in range(200, 216)
]


async def requests_per_second(app: ASGIApp) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        sent = 0

        async def worker() -> None:
            nonlocal sent
            while sent < REQUESTS:
                path = IMAGES[sent % len(IMAGES)]
                sent += 1
                response = await client.get(path)
                if response.headers.get("x-cache") != "HIT-MEMORY":
                    raise RuntimeError(f"{path} was not a memory hit")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return REQUESTS / (time.perf_counter() - started)


async def service(directory: Path, recording: bool) -> tuple[ASGIApp, Container]:
    settings = Settings(
        CACHE_FILE_DIRECTORY=directory,
        LOG_LEVEL="warning",
        REDIS_URL="",
        RATE_LIMIT_IMAGE_MAX_REQUESTS=10**9,
        ACCESS_INDEX_ENABLED=recording,
        CACHE_WARMING_ENABLED=False,
    )
    container = build_container(settings)
    app = make_app(container)
    await open_container(container)  # ASGITransport sends no lifespan events
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        for path in IMAGES:
            await client.get(path)
    return app, container


async def main() -> None:
    with tempfile.TemporaryDirectory() as on_dir, tempfile.TemporaryDirectory() as off_dir:
        on, on_container = await service(Path(on_dir), True)
        off, off_container = await service(Path(off_dir), False)
        best = {"on": 0.0, "off": 0.0}
        for _ in range(ROUNDS):
            best["off"] = max(best["off"], await requests_per_second(off))
            best["on"] = max(best["on"], await requests_per_second(on))
        flushed = on_container.storage.index()
        top = await flushed.top(1)
        await close_container(on_container)
        await close_container(off_container)
    print(f"{REQUESTS} requests per round, {CONCURRENCY} in flight, {ROUNDS} rounds")
    print(f"{'memory hit, recording off':<32} {best['off']:9.0f} req/s")
    print(f"{'memory hit, recording on':<32} {best['on']:9.0f} req/s  (index top: {len(top)})")
    print(f"ratio on/off: {best['on'] / best['off']:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
