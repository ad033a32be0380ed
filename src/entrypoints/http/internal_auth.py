"""The `X-Internal-Secret` guard of the operator routes: constant-time, fail closed."""

from __future__ import annotations

import hmac

from litestar import Request, Response
from litestar.datastructures import State

from entrypoints.http.errors import error_response

HEADER = "x-internal-secret"


def internal_secret_matches(configured: str, offered: str | None) -> bool:
    """True only when a secret is configured and `offered` equals it (compared in constant
    time); an unset INTERNAL_ADMIN_SECRET never matches."""
    if not configured or offered is None:
        return False
    return hmac.compare_digest(offered.encode("utf-8"), configured.encode("utf-8"))


def refuse_without_secret(
    request: Request[object, object, State], configured: str
) -> Response[dict[str, object]] | None:
    """A 401 JSON error unless the request carries the internal secret; None when it does."""
    if internal_secret_matches(configured, request.headers.get(HEADER)):
        return None
    message = (
        "a valid X-Internal-Secret header is required"
        if configured
        else "INTERNAL_ADMIN_SECRET is not set on this node: operator routes are closed"
    )
    return error_response(request, 401, message, "UNAUTHORIZED")
