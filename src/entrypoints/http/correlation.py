"""Correlation IDs: decided once per request, kept in the ASGI scope, sent on every answer."""

from __future__ import annotations

from litestar.types import Scope

from domain.correlation import correlation_id

SCOPE_KEY = "media_stream.correlation_id"
HEADER = b"x-correlation-id"


def correlation_id_of(scope: Scope) -> str:
    """The request's correlation ID: the one decided for this scope, else decided now from
    the request's `X-Correlation-ID`."""
    known = scope.get(SCOPE_KEY)
    if isinstance(known, str):
        return known
    offered = next((value for name, value in scope.get("headers", ()) if name == HEADER), None)
    return decide_correlation_id(scope, offered)


def decide_correlation_id(scope: Scope, offered: bytes | None) -> str:
    """Decide the request's correlation ID from `offered` (its first `X-Correlation-ID`, as
    the HTTP edge read it), unless one was decided for this scope already."""
    known = scope.get(SCOPE_KEY)
    if isinstance(known, str):
        return known
    decided = correlation_id(offered.decode("latin-1") if offered is not None else None)
    scope[SCOPE_KEY] = decided  # type: ignore[literal-required]
    return decided
