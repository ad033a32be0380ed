"""The ASGI layers that protect the app: rate limits and security headers."""

from __future__ import annotations

from litestar.types import ASGIApp

from entrypoints.composition import Container
from entrypoints.http.rate_limit import RateLimiting
from entrypoints.http.security import CorsPolicy, SecurityHeaders


def protected(app: ASGIApp, container: Container) -> ASGIApp:
    """`app` behind the rate limits (unless `RATE_LIMIT_ENABLED=false`), every answer with the
    security and CORS headers (the 429s included)."""
    settings = container.settings()
    if settings.RATE_LIMIT_ENABLED:
        app = RateLimiting(app, container.http.admit_request)
    cors = CorsPolicy(frozenset(settings.CORS_ORIGIN), settings.CORS_METHODS, settings.CORS_MAX_AGE)
    return SecurityHeaders(app, cors)
