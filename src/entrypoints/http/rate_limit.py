"""Rate limits in front of every route: `X-RateLimit-*` headers, and 429 when refused."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.admit_request import AdmitRequest, Visit
from domain.rate_limit import RateDecision
from entrypoints.http.errors import error_response
from entrypoints.http.request_kinds import classify


class RateLimiting:
    """ASGI wrapper: asks `AdmitRequest` about every HTTP request before the app sees it.

    Outside Litestar's routing, so unknown paths and wrong methods count too; the 429 is the
    same JSON error as every other (spec §3), with `Retry-After`. The use case is taken from
    `admission()` at the first request, once the container is open.
    """

    def __init__(self, app: ASGIApp, admission: Callable[[], AdmitRequest]) -> None:
        self.app = app
        self._admission = admission
        self._admit: AdmitRequest | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        admit = self._admit
        if admit is None:
            admit = self._admit = self._admission()
        decision = await admit(visit_of(scope))
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            await _refuse(scope, receive, send, decision, headers)
            return
        encoded = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *encoded]}
            await send(message)

        await self.app(scope, receive, send_with_limits)


def visit_of(scope: Scope) -> Visit:
    """What the rate limits need from an ASGI scope (one pass over its headers)."""
    raw = scope.get("raw_path") or scope["path"].encode()
    client = scope.get("client")
    forwarded: list[bytes] = []
    seen: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-for":
            forwarded.append(value)
        elif name in _CALLER_HEADERS:
            seen.setdefault(name, value)
    kind, tenant = classify(
        scope["path"], str(scope.get("method") or "GET"), raw.decode("utf-8", "surrogateescape")
    )
    return Visit(
        kind=kind,
        peer=client[0] if client else "",
        tenant=tenant,
        forwarded_for=b",".join(forwarded).decode("latin-1") if forwarded else None,
        user_agent=seen.get(b"user-agent", b"").decode("latin-1"),
        referer=seen.get(b"referer", b"").decode("latin-1"),
        origin=seen.get(b"origin", b"").decode("latin-1"),
    )


_CALLER_HEADERS = frozenset({b"user-agent", b"referer", b"origin"})


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    """`X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds) of a decision."""
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
    }


async def _refuse(
    scope: Scope, receive: Receive, send: Send, decision: RateDecision, headers: dict[str, str]
) -> None:
    request: Request[object, object, State] = Request(scope, receive)
    response = error_response(
        request,
        429,
        "too many requests: slow down and retry later",
        headers={**headers, "Retry-After": str(decision.retry_after)},
    )
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)
