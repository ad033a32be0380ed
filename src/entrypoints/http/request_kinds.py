"""What kind of request a path and method are, for the rate limits: the one place outside the
route handlers that knows the service's routes."""

from __future__ import annotations

from domain.image_info import META_PREFIX
from domain.presets import PRESET_PREFIX
from domain.rate_limit import UNKNOWN_TENANT, RequestKind
from domain.route import PREFIX, tenant_in

HEALTH_PATH = "/health"
STATIC_PAGES = frozenset({"/", "/robots.txt"})
# The one /health route that changes state: an admin route, limited like the others.
HEALTH_ADMIN_ROUTES = frozenset({("POST", "/health/circuit-breaker/reset")})
# What the Node service let through as static assets. Never under the image prefix: image
# paths end in an output format, and `.../80.png` must count as an image request.
ASSET_SUFFIXES = (".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg")


def classify(path: str, method: str, raw_path: str) -> tuple[RequestKind, str]:
    """The kind of the request, and for an image the tenant it names (else UNKNOWN_TENANT).

    `path` is decoded as the server saw it; `raw_path` is as sent, for reading the tenant
    the way the image route will (a path naming no valid tenant counts as UNKNOWN_TENANT, so
    made-up tenants cannot open fresh buckets).
    """
    if path.startswith((PREFIX, META_PREFIX)):
        return RequestKind.IMAGE, _tenant(raw_path)
    if path == HEALTH_PATH or path.startswith(HEALTH_PATH + "/"):
        admin = (method.upper(), path) in HEALTH_ADMIN_ROUTES
        return (RequestKind.API if admin else RequestKind.HEALTH), UNKNOWN_TENANT
    if path.lower().endswith(ASSET_SUFFIXES):
        return RequestKind.ASSET, UNKNOWN_TENANT
    if path in STATIC_PAGES:
        return RequestKind.STATIC, UNKNOWN_TENANT
    return RequestKind.API, UNKNOWN_TENANT


def _tenant(raw_path: str) -> str:
    """The tenant of an image, preset or info path, read as `tenant_in` reads image paths:
    the info and preset routes count against their tenant's image limits (ADR 24)."""
    if raw_path.startswith(META_PREFIX):
        raw_path = PREFIX + raw_path[len(META_PREFIX) :]
    elif raw_path.startswith(PRESET_PREFIX):
        raw_path = PREFIX + raw_path[len(PRESET_PREFIX) :].partition("/")[2]
    return tenant_in(raw_path) or UNKNOWN_TENANT
