"""What each part of a memory hit costs, in CPU microseconds per request, in one run.

The app is driven straight over ASGI (no HTTP client: only the apps' own cost), one request at
a time, `REQUESTS` per round, `ROUNDS` rounds alternating between the variants; the best
round of each counts. CPU time of this process, so other work on the box does not count.

- bare route: a Litestar app whose one route returns the result's bytes (cache_bench's baseline);
- Litestar app: the service's own Litestar app without the edge (routing, the image route, the
  use case with its memory hit, the cache metrics, the prepared head);
- service: the whole app (`make_app`): the HTTP edge, which answers the image route itself
  (`ImagesAtTheEdge`: the same route and use case, without Litestar's router);
- service, images through Litestar: the edge handing image requests to the Litestar app, as
  before the edge answered them;
- service without X: the edge with one part left out, so `service - (service without X)` is
  what X costs a hit: the rate limits (`AdmitRequest`, the limiter, `X-RateLimit-*`), the
  report (HTTP metrics, access-log decision, performance watch), the security and CORS
  headers.

Run: `.venv/bin/python bench/edge_bench.py`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from litestar.types import ASGIApp, Message, Scope

from application.timing import PhaseTimings
from cache_bench import IMAGE, bare_app, bench_settings
from entrypoints.composition import Container, build_container, close_container, open_container
from entrypoints.http.app import make_app, make_litestar
from entrypoints.http.edge import HttpEdge, http_edge
from entrypoints.http.images import ImagesAtTheEdge
from entrypoints.http.observability import Exchange, RequestObserver
from entrypoints.http.security import CorsPolicy, Headers

REQUESTS = 4000
ROUNDS = 9
SCOPE: Scope = {  # type: ignore[typeddict-item]
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": IMAGE,
    "raw_path": IMAGE.encode(),
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"bench"), (b"accept", b"*/*"), (b"user-agent", b"bench")],
    "client": ("127.0.0.1", 40000),
    "server": ("127.0.0.1", 3003),
}


class Unreported(RequestObserver):
    def report(self, scope: Scope, exchange: Exchange, timings: PhaseTimings) -> None:
        return None


class Unsecured(CorsPolicy):
    def secure(self, headers: Headers, allowed: str | None) -> None:
        return None


async def microseconds_per_request(app: ASGIApp) -> float:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    statuses: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(REQUESTS):
        await app(dict(SCOPE), receive, send)  # type: ignore[arg-type]
    spent = time.process_time() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"{app} answered {set(statuses)}")
    return spent / REQUESTS * 1e6


def variants(container: Container, body: bytes) -> dict[str, ASGIApp]:
    litestar = make_litestar(container)
    whole = http_edge(litestar, container, ImagesAtTheEdge(litestar, container.http.image_route))
    observer = whole._observer
    parts = {
        "images": whole._images,
        "admission": whole._admission,
        "cors": whole._cors,
        "observer": observer,
        "lifecycle": container.core.lifecycle(),
    }
    unreported = Unreported(
        metrics=container.core.metrics(),
        lifecycle=container.core.lifecycle(),
        watch=container.operations.performance_watch(),
        slow_threshold_ms=lambda: 0,
    )
    return {
        "bare route": bare_app(body),
        "Litestar app": litestar,
        "service": whole,
        "service, images through Litestar": HttpEdge(litestar, **{**parts, "images": None}),  # type: ignore[arg-type]
        "service without rate limits": HttpEdge(litestar, **{**parts, "admission": None}),  # type: ignore[arg-type]
        "service without report": HttpEdge(litestar, **{**parts, "observer": unreported}),  # type: ignore[arg-type]
        "service without security headers": HttpEdge(
            litestar,
            **{**parts, "cors": Unsecured(frozenset({"*"}))},  # type: ignore[arg-type]
        ),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        container = build_container(bench_settings(Path(cache_dir)))
        await open_container(container)  # the bench sends no lifespan events
        body = await first_hit(make_app(container))
        apps = variants(container, body)
        best = dict.fromkeys(apps, float("inf"))
        for _ in range(ROUNDS):
            for name, app in apps.items():
                best[name] = min(best[name], await microseconds_per_request(app))
        await close_container(container)
    print(f"{REQUESTS} requests per round, {ROUNDS} rounds, CPU us per request (best round)")
    for name, spent in best.items():
        print(f"{name:<36} {spent:7.1f}")
    service = best["service"]
    routed = best["service, images through Litestar"] - service
    print(f"{'images at the edge save':<36} {routed:7.1f}")
    print(f"{'service - bare route':<36} {service - best['bare route']:7.1f}")
    for part in ("rate limits", "report", "security headers"):
        print(f"{'  of which ' + part:<36} {service - best['service without ' + part]:7.1f}")


async def first_hit(app: ASGIApp) -> bytes:
    """Make the result (a miss), check the next answer is a memory hit, answer its bytes."""
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        miss, hit = await client.get(IMAGE), await client.get(IMAGE)
    if (miss.headers["x-cache"], hit.headers["x-cache"]) != ("MISS", "HIT-MEMORY"):
        raise RuntimeError(f"expected a miss then a memory hit, got {miss}, {hit}")
    return hit.content


if __name__ == "__main__":
    asyncio.run(main())
