"""The one ASGI wrapper in front of Litestar: what every request gets before and after the app.

Per HTTP request, with one pass over the request's headers and one over the answer's:

1. the correlation ID (`correlation.py`): the caller's sane `X-Correlation-ID`, else a new
   UUID4, kept in the scope and bound for the logs; sent back on every answer;
2. refusal while the node drains (`observability.py`), probes, metrics and monitoring aside;
3. CORS preflights, answered here before rate limits and routing (`security.py`);
4. the rate limits (`rate_limit.py`): `AdmitRequest` decides; `X-RateLimit-*` on the
   answer, or a JSON 429;
5. the app, or for the image requests it takes, the image route answered here
   (`ImagesAtTheEdge`, `images.py`: no router); the answer gets the security and CORS headers
   (worked out once per prepared head), `Server-Timing` and the correlation ID;
6. the report (`observability.py`): metrics, the access log, the performance watch.

These were four nested wrappers, each with its own pass over the headers and its own copy of
every response start; docs/performance.md says what each part costs a memory hit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send

from application.admit_request import AdmitRequest
from application.correlation import correlation_scope
from application.timing import PhaseTimings, recording
from entrypoints.composition import Container
from entrypoints.http.correlation import HEADER as CORRELATION_HEADER
from entrypoints.http.correlation import decide_correlation_id
from entrypoints.http.image_response import Head
from entrypoints.http.images import ImagesAtTheEdge
from entrypoints.http.observability import (
    OPERATIONAL_PREFIXES,
    Exchange,
    RequestObserver,
    refuse_while_draining,
)
from entrypoints.http.rate_limit import rate_limit_headers, refuse, visit_of
from entrypoints.http.request_kinds import classify
from entrypoints.http.security import CorsPolicy, Headers
from entrypoints.lifecycle import Lifecycle

# request headers the edge reads (names are lower-case in ASGI)
_CALLER = frozenset({b"user-agent", b"referer", b"origin"})
_FORWARDED = b"x-forwarded-for"
_PREFLIGHT_METHOD = b"access-control-request-method"
_PREFLIGHT_HEADERS = b"access-control-request-headers"
_HOST = b"host"
_CONDITIONS = (b"accept", b"if-none-match", b"if-modified-since")  # what image answers read
# the first of each kept (X-Correlation-ID and every X-Forwarded-For are read apart)
_READ = frozenset({*_CALLER, _PREFLIGHT_METHOD, _PREFLIGHT_HEADERS, _HOST, *_CONDITIONS})
# prepared heads (tuples) remembered with the edge's headers added, per allowed origin
SECURED_HEADS_REMEMBERED = 4096
# (id of the head as sent, allowed origin) -> (that head, kept alive; secured; X-Fallback)
_SecuredHeads = dict[tuple[int, str | None], tuple[Head, Head, str | None]]


def http_edge(
    app: ASGIApp, container: Container, images: ImagesAtTheEdge | None = None
) -> HttpEdge:
    """`app` behind the edge, with the container's limits (unless `RATE_LIMIT_ENABLED=false`),
    CORS policy, metrics, performance watch and lifecycle; `images` answers the image route
    at the edge (`images.py`), else Litestar does."""
    settings = container.settings()
    live = container.core.live_settings()
    lifecycle = container.core.lifecycle()
    return HttpEdge(
        app,
        admission=container.http.admit_request if settings.RATE_LIMIT_ENABLED else None,
        cors=CorsPolicy(
            frozenset(settings.CORS_ORIGIN), settings.CORS_METHODS, settings.CORS_MAX_AGE
        ),
        observer=RequestObserver(
            metrics=container.core.metrics(),
            lifecycle=lifecycle,
            watch=container.operations.performance_watch(),
            slow_threshold_ms=lambda: live.current.SLOW_REQUEST_THRESHOLD_MS,
        ),
        lifecycle=lifecycle,
        images=images,
    )


class HttpEdge:
    """ASGI wrapper: correlation ID, drain refusal, CORS, rate limits, security headers and
    the request's report, around `app`. `admission` None: no rate limits; else it gives the
    rate-limit use case, taken at the first request (once the container is open). `images`:
    the image requests it takes are answered here instead of by `app`'s router."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        admission: Callable[[], AdmitRequest] | None,
        cors: CorsPolicy,
        observer: RequestObserver,
        lifecycle: Lifecycle,
        images: ImagesAtTheEdge | None = None,
    ) -> None:
        self.app = app
        self._images = images
        self._secured: _SecuredHeads = {}
        self._admission = admission
        self._admit: AdmitRequest | None = None
        self._cors = cors
        self._observer = observer
        self._lifecycle = lifecycle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw = scope.get("raw_path") or scope["path"].encode()
        head = _RequestHead.of(scope, raw)
        exchange = Exchange(
            method=scope["method"],
            path=scope["path"],
            raw_path=raw.decode("utf-8", "surrogateescape"),
            request_bytes=head.size,
            started=started,
        )
        correlation = decide_correlation_id(scope, head.correlation)
        origin = head.read.get(b"origin")
        with correlation_scope(correlation), recording() as timings:
            answer = _Answer(
                send,
                exchange,
                self._cors,
                None if origin is None else self._cors.allowed_origin(origin.decode("latin-1")),
                correlation.encode("latin-1"),
                self._secured,
                timings,
            )
            try:
                await self._serve(scope, receive, answer, head)
            finally:
                self._observer.report(scope, exchange, timings)

    async def _serve(
        self,
        scope: HTTPScope,
        receive: Receive,
        answer: _Answer,
        head: _RequestHead,
    ) -> None:
        exchange, read = answer.exchange, head.read
        if self._lifecycle.draining and not exchange.path.startswith(OPERATIONAL_PREFIXES):
            await refuse_while_draining(scope, answer.send)
            return
        self._observer.started()
        try:
            if exchange.method == "OPTIONS" and read.get(_PREFLIGHT_METHOD):
                await answer.preflight(read.get(_PREFLIGHT_HEADERS))
                return
            if self._admission is not None:
                admit = self._admit
                if admit is None:
                    admit = self._admit = self._admission()
                kind, tenant = classify(exchange.path, exchange.method, exchange.raw_path)
                decision = await admit(visit_of(scope, kind, tenant, read, head.forwarded))
                if decision is not None:
                    answer.limits = rate_limit_headers(decision)
                    if not decision.allowed:
                        await refuse(scope, receive, answer.send, decision)
                        return
            images = self._images
            if images is not None and images.takes(scope, exchange.path, read.get(_HOST)):
                await images(scope, receive, answer.send, head.conditions())
                return

            async def counting_receive() -> ReceiveMessage:
                message = await receive()
                if message["type"] == "http.request":
                    exchange.request_bytes += len(message.get("body", b""))
                return message

            await self.app(scope, counting_receive, answer.send)
        finally:
            self._observer.finished()


class _RequestHead:
    """What the edge reads of a request's head, in one pass over its headers."""

    __slots__ = ("correlation", "forwarded", "read", "size")

    def __init__(self) -> None:
        self.correlation: bytes | None = None  # the first X-Correlation-ID
        self.read: dict[bytes, bytes] = {}  # the first of each header in _READ
        self.forwarded: list[bytes] = []  # every X-Forwarded-For
        self.size = 0  # bytes of the request line and headers, as near as the scope tells

    @classmethod
    def of(cls, scope: HTTPScope, raw_path: bytes) -> _RequestHead:
        head = cls()
        read = head.read
        size = len(scope["method"]) + len(raw_path) + len(scope.get("query_string", b"")) + 11
        for name, value in scope.get("headers", ()):
            size += len(name) + len(value) + 4
            if name in _READ:
                if name not in read:
                    read[name] = value
            elif name == CORRELATION_HEADER:
                if head.correlation is None:
                    head.correlation = value
            elif name == _FORWARDED:
                head.forwarded.append(value)
        head.size = size
        return head

    def conditions(self) -> tuple[str | None, str | None, str | None]:
        """The request's `Accept`, `If-None-Match` and `If-Modified-Since` (the first of each)."""
        read = self.read
        accept = read.get(b"accept")
        if_none_match = read.get(b"if-none-match")
        if_modified_since = read.get(b"if-modified-since")
        return (
            None if accept is None else accept.decode("latin-1"),
            None if if_none_match is None else if_none_match.decode("latin-1"),
            None if if_modified_since is None else if_modified_since.decode("latin-1"),
        )


class _Answer:
    """The `send` of one request: completes the answer's head, counts what is sent."""

    __slots__ = (
        "_allowed",
        "_correlation",
        "_cors",
        "_secured",
        "_send",
        "exchange",
        "limits",
        "timings",
    )

    def __init__(
        self,
        send: Send,
        exchange: Exchange,
        cors: CorsPolicy,
        allowed: str | None,
        correlation: bytes,
        secured: _SecuredHeads,
        timings: PhaseTimings,
    ) -> None:
        self._send = send
        self._secured = secured
        self.exchange = exchange
        self._cors = cors
        self._allowed = allowed
        self._correlation = correlation
        self.limits: Headers = []
        self.timings = timings

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body":
            self.exchange.response_bytes += len(message.get("body", b""))
        elif message["type"] == "http.response.start":
            exchange = self.exchange
            secured, exchange.fallback = self._secure(message.get("headers", ()))
            exchange.status = message["status"]
            timing = self.timings.server_timing(time.perf_counter() - exchange.started)
            headers = [
                *secured,
                *self.limits,
                (b"server-timing", timing.encode()),
                (CORRELATION_HEADER, self._correlation),
            ]
            message = {**message, "headers": headers}
        await self._send(message)

    def _secure(self, sent: Iterable[tuple[bytes, bytes]]) -> tuple[Head, str | None]:
        """The head as sent with the security and CORS headers, and its `X-Fallback`: for a
        prepared head (a tuple, shared by every answer of a result) worked out once."""
        prepared = sent if isinstance(sent, tuple) else None
        if prepared is not None:
            known = self._secured.get((id(prepared), self._allowed))
            if known is not None and known[0] is prepared:  # that head, not another at its id
                return known[1], known[2]
        headers = list(sent)
        self._cors.secure(headers, self._allowed)
        fallback = next(
            (value.decode("latin-1") for name, value in headers if name == b"x-fallback"), None
        )
        secured = tuple(headers)
        if prepared is not None:
            if len(self._secured) >= SECURED_HEADS_REMEMBERED:
                self._secured.clear()
            self._secured[(id(prepared), self._allowed)] = (prepared, secured, fallback)
        return secured, fallback

    async def preflight(self, asked_headers: bytes | None) -> None:
        """Answer a CORS preflight: 204 with what the policy allows."""
        headers = self._cors.preflight_headers(self._allowed, asked_headers)
        await self.send({"type": "http.response.start", "status": 204, "headers": headers})
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})
