"""Every error answer of the HTTP API, built in one place (spec §3 JSON body)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from litestar import Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.types import Receive, Scope, Send

from application.errors import Overloaded
from domain.errors import InvalidRequest
from entrypoints.http.correlation import correlation_id_of

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
NO_STORE_NOSNIFF = {**NO_STORE, "X-Content-Type-Options": "nosniff"}
_CODES = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


def error_response(
    request: Request[object, object, State],
    status: int,
    message: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, object]]:
    """A JSON error with status, code, message, correlation ID, path and timestamp."""
    body: dict[str, object] = {
        "status": status,
        "code": code or _CODES.get(status, "ERROR"),
        "message": message,
        "correlationId": correlation_id_of(request.scope),
        "path": request.scope.get("path", ""),
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    return Response(body, status_code=status, headers={**NO_STORE_NOSNIFF, **(headers or {})})


def on_invalid_request(
    request: Request[object, object, State], exc: InvalidRequest
) -> Response[dict[str, object]]:
    return error_response(request, exc.status, exc.message, exc.code)


def on_http_exception(
    request: Request[object, object, State], exc: HTTPException
) -> Response[dict[str, object]]:
    extra = {"Allow": exc.headers["Allow"]} if exc.headers and "Allow" in exc.headers else None
    message = exc.detail if exc.status_code < 500 else "internal error"
    return error_response(request, exc.status_code, message, headers=extra)


def on_unexpected(
    request: Request[object, object, State], exc: Exception
) -> Response[dict[str, object]]:
    log.exception("unhandled error on %s", request.scope.get("path"), exc_info=exc)
    return error_response(request, 500, "internal error", "INTERNAL_ERROR")


def on_overloaded(
    request: Request[object, object, State], exc: Overloaded
) -> Response[dict[str, object]]:
    log.warning("refused %s: %s", request.scope.get("path"), exc)
    return error_response(
        request,
        503,
        "the service is busy: retry later",
        headers={"Retry-After": str(exc.retry_after)},
    )


EXCEPTION_HANDLERS = {
    InvalidRequest: on_invalid_request,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
    Overloaded: on_overloaded,
}


# -- errors answered outside Litestar (the ASGI wrapper refusing work while draining) ----------


def json_error_body(scope: Scope, status: int, message: str, code: str | None = None) -> bytes:
    """The spec §3 JSON error body, for answers written straight to ASGI."""
    body = {
        "status": status,
        "code": code or _CODES.get(status, "ERROR"),
        "message": message,
        "correlationId": correlation_id_of(scope),
        "path": scope.get("path", ""),
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    return json.dumps(body).encode()


async def answer_error(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """Answer `error`, raised by a route the HTTP edge answers itself, as Litestar's exception
    middleware would: the first of `EXCEPTION_HANDLERS` along the error's MRO."""
    handler = next(
        EXCEPTION_HANDLERS[kind] for kind in type(error).__mro__ if kind in EXCEPTION_HANDLERS
    )
    request: Request[object, object, State] = Request(scope, receive)
    response = handler(request, error)  # type: ignore[operator]
    await response.to_asgi_response(app=None, request=request)(scope, receive, send)
