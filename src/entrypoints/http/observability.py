"""The ASGI wrapper that watches every request: metrics, logs, timings, and refusal while draining.

For each HTTP request it binds the correlation ID and a phase recorder (application layers add
to both), counts the request in flight, and when the answer is sent it

- adds `Server-Timing` (every recorded phase, then `total`, in ms) to the response head;
- records `Metrics.http_request` under the route template (never the raw path);
- writes one access log line, and a warning with the phase timings when the request took longer
  than SLOW_REQUEST_THRESHOLD_MS;
- feeds the phase timings of image requests to the performance watch.

While the node drains, requests other than probes, metrics and monitoring are answered
`503 SERVICE_UNAVAILABLE` with `Retry-After`, without reaching the application.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from application.correlation import correlation_scope
from application.performance import PerformanceWatch
from application.ports.metrics import Metrics
from application.timing import PhaseTimings, recording
from domain.route import PREFIX
from entrypoints.http.correlation import correlation_id_of
from entrypoints.http.errors import json_error_body
from entrypoints.lifecycle import Lifecycle

access_log = logging.getLogger("media_stream.access")

MEDIA_ROUTE = PREFIX + "media/{tenant}/uploads/..."
STATIC_ROUTE = PREFIX + "static/images/..."
IMAGE_ROUTES = frozenset({MEDIA_ROUTE, STATIC_ROUTE})
UNMATCHED = "unmatched"
OPERATIONAL_PREFIXES = ("/health", "/metrics", "/monitoring")
QUIET_ROUTES = frozenset({"/health/live", "/health/ready", "/metrics"})
RETRY_AFTER_SECONDS = 5
_TENANT = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def route_label(scope: Scope, path: str) -> str:
    """The route template of the request for `path`, of bounded cardinality: never raw."""
    if path.startswith(PREFIX + "media/"):
        return MEDIA_ROUTE
    if path.startswith(PREFIX + "static/images/"):
        return STATIC_ROUTE
    template = scope.get("path_template")
    if scope.get("route_handler") is not None and isinstance(template, str):
        return template
    return UNMATCHED


def tenant_label(route: str, path: str) -> str:
    """The tenant an image request is for (`public` for static images), else ''."""
    if route == STATIC_ROUTE:
        return "public"
    if route != MEDIA_ROUTE:
        return ""
    segment = path[len(PREFIX + "media/") :].split("/", 1)[0]
    return segment if _TENANT.fullmatch(segment) else ""


@dataclass(slots=True)
class _Exchange:
    """What the wrapper learns about one request while it is answered."""

    method: str
    started: float = field(default_factory=time.perf_counter)
    status: int = 500
    request_bytes: int = 0
    response_bytes: int = 0
    fallback: str | None = None


class ObservedRequests:
    """ASGI wrapper: correlation and timing context, metrics, access log, drain refusal."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        lifecycle: Lifecycle,
        watch: PerformanceWatch,
        slow_threshold_ms: Callable[[], int],
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._lifecycle = lifecycle
        self._watch = watch
        self._slow_threshold_ms = slow_threshold_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(method=scope["method"], request_bytes=_head_size(scope))
        path = scope["path"]  # routing may rewrite scope["path"]; keep what was asked
        with correlation_scope(correlation_id_of(scope)), recording() as timings:
            try:
                if self._lifecycle.draining and not path.startswith(OPERATIONAL_PREFIXES):
                    await self._refuse(scope, self._sender(send, exchange, timings))
                else:
                    await self._answer(scope, receive, send, exchange, timings)
            finally:
                self._report(scope, path, exchange, timings)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        exchange: _Exchange,
        timings: PhaseTimings,
    ) -> None:
        async def counting_receive() -> ReceiveMessage:
            message = await receive()
            if message["type"] == "http.request":
                exchange.request_bytes += len(message.get("body", b""))
            return message

        self._metrics.requests_in_flight(self._lifecycle.request_started())
        try:
            await self.app(scope, counting_receive, self._sender(send, exchange, timings))
        finally:
            self._metrics.requests_in_flight(self._lifecycle.request_finished())

    @staticmethod
    def _sender(send: Send, exchange: _Exchange, timings: PhaseTimings) -> Send:
        async def observing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                headers = list(message.get("headers", ()))
                exchange.fallback = next(
                    (value.decode("latin-1") for name, value in headers if name == b"x-fallback"),
                    None,
                )
                total = time.perf_counter() - exchange.started
                headers.append((b"server-timing", timings.server_timing(total).encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                exchange.response_bytes += len(message.get("body", b""))
            await send(message)

        return observing_send

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        body = json_error_body(scope, 503, "the server is shutting down, retry elsewhere")
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
        end: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": body,
            "more_body": False,
        }
        await send(start)
        await send(end)

    def _report(self, scope: Scope, path: str, exchange: _Exchange, timings: PhaseTimings) -> None:
        seconds = time.perf_counter() - exchange.started
        route = route_label(scope, path)
        accepted = exchange.status in {200, 304} and exchange.fallback is None
        self._metrics.http_request(
            route=route,
            method=exchange.method,
            status=exchange.status,
            seconds=seconds,
            request_bytes=exchange.request_bytes,
            response_bytes=exchange.response_bytes,
            tenant=tenant_label(route, path) if accepted else "",
        )
        if exchange.status >= 400:
            self._metrics.error(kind="http", code=str(exchange.status))
        if exchange.fallback is not None:
            self._metrics.error(kind="fallback", code=exchange.fallback)
        if route in IMAGE_ROUTES and exchange.status < 500:
            for phase, spent in timings.phases().items():
                self._watch.observe(phase, spent)
            self._watch.observe("total", seconds)
        self._log(scope, path, route, exchange, seconds, timings)

    def _log(
        self,
        scope: Scope,
        path: str,
        route: str,
        exchange: _Exchange,
        seconds: float,
        timings: PhaseTimings,
    ) -> None:
        milliseconds = round(seconds * 1000, 1)
        fields: dict[str, object] = {
            "method": exchange.method,
            "path": path[:512],
            "route": route,
            "status": exchange.status,
            "durationMs": milliseconds,
            "responseBytes": exchange.response_bytes,
        }
        if exchange.fallback is not None:
            fields["fallback"] = exchange.fallback
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        line = f"{exchange.method} {path[:512]} {exchange.status} {milliseconds}ms"
        access_log.log(level, line, extra=fields)
        threshold = self._slow_threshold_ms()
        if threshold > 0 and milliseconds > threshold:
            phases = {phase: round(spent * 1000, 1) for phase, spent in timings.phases().items()}
            access_log.warning(
                "slow request: %s (threshold %d ms)",
                line,
                threshold,
                extra={**fields, "timings": phases, "thresholdMs": threshold},
            )


def _head_size(scope: HTTPScope) -> int:
    """Bytes of the request line and headers, as near as the ASGI scope tells."""
    headers = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", ()))
    target = len(scope.get("raw_path") or scope["path"].encode())
    query = len(scope.get("query_string", b""))
    return len(scope["method"]) + target + query + 11 + headers
