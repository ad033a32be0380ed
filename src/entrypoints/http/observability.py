"""What the HTTP edge records about every request: metrics, logs, timings; and the refusal
while draining.

For each HTTP request the edge (`edge.py`) binds the correlation ID and a phase recorder
(application layers add to both), counts the request in flight, and when it is answered

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
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Scope, Send

from application.performance import PerformanceWatch
from application.ports.metrics import Metrics
from application.timing import PhaseTimings
from domain.route import PREFIX, tenant_in
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


def tenant_label(route: str, raw_path: str) -> str:
    """The tenant an image request is for (`public` for static images), else '': read from
    the raw path as the image route reads it (remembered per path, see `tenant_in`)."""
    if route not in IMAGE_ROUTES:
        return ""
    return tenant_in(raw_path) or ""


@dataclass(slots=True)
class Exchange:
    """What the edge learns about one request while it is answered."""

    method: str
    path: str  # as asked: routing may rewrite scope["path"]
    raw_path: str
    request_bytes: int
    started: float = field(default_factory=time.perf_counter)
    status: int = 500
    response_bytes: int = 0
    fallback: str | None = None


class RequestObserver:
    """Reports each answered request: metrics, access log, slow-request log, performance watch."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        lifecycle: Lifecycle,
        watch: PerformanceWatch,
        slow_threshold_ms: Callable[[], int],
    ) -> None:
        self._metrics = metrics
        self._lifecycle = lifecycle
        self._watch = watch
        self._slow_threshold_ms = slow_threshold_ms

    def started(self) -> None:
        """One more request in flight."""
        self._metrics.requests_in_flight(self._lifecycle.request_started())

    def finished(self) -> None:
        """One request less in flight."""
        self._metrics.requests_in_flight(self._lifecycle.request_finished())

    def report(self, scope: Scope, exchange: Exchange, timings: PhaseTimings) -> None:
        """Record the answered `exchange` in the metrics, the logs and the watch."""
        seconds = time.perf_counter() - exchange.started
        route = route_label(scope, exchange.path)
        accepted = exchange.status in {200, 304} and exchange.fallback is None
        self._metrics.http_request(
            route=route,
            method=exchange.method,
            status=exchange.status,
            seconds=seconds,
            request_bytes=exchange.request_bytes,
            response_bytes=exchange.response_bytes,
            tenant=tenant_label(route, exchange.raw_path) if accepted else "",
        )
        if exchange.status >= 400:
            self._metrics.error(kind="http", code=str(exchange.status))
        if exchange.fallback is not None:
            self._metrics.error(kind="fallback", code=exchange.fallback)
        if route in IMAGE_ROUTES and exchange.status < 500:
            self._watch.observe_request(timings.items(), seconds)
        self._log(route, exchange, seconds, timings)

    def _log(self, route: str, exchange: Exchange, seconds: float, timings: PhaseTimings) -> None:
        milliseconds = round(seconds * 1000, 1)
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        threshold = self._slow_threshold_ms()
        slow = threshold > 0 and milliseconds > threshold
        if not slow and not access_log.isEnabledFor(level):
            return  # the usual hit at LOG_LEVEL=warning: no line, so no fields either
        path = exchange.path[:512]
        fields: dict[str, object] = {
            "method": exchange.method,
            "path": path,
            "route": route,
            "status": exchange.status,
            "durationMs": milliseconds,
            "responseBytes": exchange.response_bytes,
        }
        if exchange.fallback is not None:
            fields["fallback"] = exchange.fallback
        line = f"{exchange.method} {path} {exchange.status} {milliseconds}ms"
        access_log.log(level, line, extra=fields)
        if slow:
            phases = {phase: round(spent * 1000, 1) for phase, spent in timings.phases().items()}
            access_log.warning(
                "slow request: %s (threshold %d ms)",
                line,
                threshold,
                extra={**fields, "timings": phases, "thresholdMs": threshold},
            )


async def refuse_while_draining(scope: Scope, send: Send) -> None:
    """Answer 503 JSON with Retry-After: the node is shutting down."""
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
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(start)
    await send(end)
