"""Visits as the HTTP edge makes them: kind and tenant told from the path."""

from __future__ import annotations

from application.admit_request import Visit
from entrypoints.http.request_kinds import classify


def visit_to(path: str, peer: str, *, method: str = "GET", **headers: str | None) -> Visit:
    """The `Visit` of a request for `path` (sent as it is) from `peer`, with `headers`
    (`forwarded_for`, `user_agent`, `referer`, `origin`)."""
    kind, tenant = classify(path, method, path)
    return Visit(kind=kind, peer=peer, tenant=tenant, **headers)  # type: ignore[arg-type]
