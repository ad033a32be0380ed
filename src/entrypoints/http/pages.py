"""Health probes and the few static files (the playground at `/` is in playground.py)."""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get
from litestar.di import NamedDependency

from entrypoints.http.errors import NO_STORE
from entrypoints.lifecycle import Lifecycle

STATIC = Path(__file__).resolve().parent / "static"
STATIC_CACHE_CONTROL = "public, max-age=3600"


@get("/health/live", name="live", cache_control=None)
async def live() -> Response[dict[str, str]]:
    """200 while the process can serve, draining included."""
    return Response({"status": "ok"}, headers=NO_STORE)


@get("/health/ready", name="ready")
async def ready(lifecycle: NamedDependency[Lifecycle]) -> Response[dict[str, str]]:
    """200 when the node takes traffic; 503 once it is shutting down."""
    if lifecycle.draining:
        return Response(
            {"status": "draining"}, status_code=503, headers={"Cache-Control": "no-store"}
        )
    return Response({"status": "ok"}, headers={"Cache-Control": "no-store"})


def _static(name: str, media_type: str) -> Response[bytes]:
    return Response(
        (STATIC / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": STATIC_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )


@get("/robots.txt", name="robots")
async def robots() -> Response[bytes]:
    return _static("robots.txt", "text/plain")  # Litestar adds the charset


@get("/default.png", name="default_image")
async def default_image() -> Response[bytes]:
    return _static("default.png", "image/png")
