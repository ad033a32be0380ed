"""Rate limits in front of every route: `X-RateLimit-*` headers, and 429 when refused.

The HTTP edge (`edge.py`) asks `AdmitRequest` about every HTTP request before the app sees
it: outside Litestar's routing, so unknown paths and wrong methods count too; the 429 is the
same JSON error as every other (spec §3), with `Retry-After`.
"""

from __future__ import annotations

from functools import lru_cache

from litestar import Request
from litestar.datastructures import State
from litestar.types import Receive, Scope, Send

from application.admit_request import Visit
from domain.rate_limit import RateDecision, RequestKind
from entrypoints.http.errors import error_response

VISITS_REMEMBERED = 4096


def visit_of(
    scope: Scope,
    kind: RequestKind,
    tenant: str,
    caller: dict[bytes, bytes],
    forwarded: list[bytes],
) -> Visit:
    """What the rate limits need from a request: its kind and tenant (from `classify`), the
    peer, every `X-Forwarded-For` header, and the caller's `User-Agent`, `Referer`, `Origin`."""
    client = scope.get("client")
    return _visit(
        kind,
        client[0] if client else "",
        tenant,
        b",".join(forwarded) if forwarded else None,
        caller.get(b"user-agent", b""),
        caller.get(b"referer", b""),
        caller.get(b"origin", b""),
    )


@lru_cache(maxsize=VISITS_REMEMBERED)  # the same clients, pages and user agents, again and again
def _visit(
    kind: RequestKind,
    peer: str,
    tenant: str,
    forwarded_for: bytes | None,
    user_agent: bytes,
    referer: bytes,
    origin: bytes,
) -> Visit:
    return Visit(
        kind=kind,
        peer=peer,
        tenant=tenant,
        forwarded_for=forwarded_for.decode("latin-1") if forwarded_for is not None else None,
        user_agent=user_agent.decode("latin-1"),
        referer=referer.decode("latin-1"),
        origin=origin.decode("latin-1"),
    )


def rate_limit_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    """`X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds) of a decision."""
    return [
        (b"x-ratelimit-limit", b"%d" % decision.limit),
        (b"x-ratelimit-remaining", b"%d" % decision.remaining),
        (b"x-ratelimit-reset", b"%d" % decision.reset_at),
    ]


async def refuse(scope: Scope, receive: Receive, send: Send, decision: RateDecision) -> None:
    """Answer a refused request: the JSON 429 with `Retry-After` (`send` adds the limits)."""
    request: Request[object, object, State] = Request(scope, receive)
    response = error_response(
        request,
        429,
        "too many requests: slow down and retry later",
        headers={"Retry-After": str(decision.retry_after)},
    )
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)
