"""Security headers on every answer, and CORS (`CORS_ORIGIN`, `CORS_METHODS`, `CORS_MAX_AGE`).

- `X-Content-Type-Options: nosniff` everywhere: browsers take the Content-Type as given;
- images get `Cross-Origin-Resource-Policy: cross-origin` (other sites embed them);
- everything else gets `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`
  (JSON, text, scripts and style sheets load nothing and are framed by nobody); an answer that
  sets its own policy keeps it: an SVG its sandboxing one, the playground page at `/` one that
  allows its own script, style sheet, previews and JSON (ADR 29);
- CORS: `Access-Control-Allow-Origin` only for an allowed origin (`*` when so configured, and
  then without `Vary: Origin`), and a preflight answered here, before routing and rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

PAGE_CSP = b"default-src 'none'; frame-ancestors 'none'"
NOSNIFF = (b"x-content-type-options", b"nosniff")
CORP = (b"cross-origin-resource-policy", b"cross-origin")
EXPOSED_HEADERS = (
    b"Content-Length, ETag, Last-Modified, Retry-After, X-Cache, X-Correlation-ID, X-Fallback, "
    b"X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
)
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Which origins may read answers from scripts, with which methods, cached how long."""

    origins: frozenset[str]
    methods: tuple[str, ...] = ("GET", "HEAD", "OPTIONS")
    max_age: int = 86_400

    @property
    def any_origin(self) -> bool:
        return "*" in self.origins

    def allowed_origin(self, origin: str | None) -> str | None:
        """The `Access-Control-Allow-Origin` value for a request from `origin`, if any."""
        if origin is None:
            return None
        if self.any_origin:
            return "*"
        return origin if origin in self.origins else None


class SecurityHeaders:
    """ASGI wrapper adding the security and CORS headers; answers CORS preflights itself."""

    def __init__(self, app: ASGIApp, cors: CorsPolicy) -> None:
        self.app = app
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(scope, send, origin)
            return
        allowed = self.cors.allowed_origin(origin)

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = _secured(list(message.get("headers", ())))
                message = {**message, "headers": self._with_cors(headers, allowed)}
            await send(message)

        await self.app(scope, receive, send_secured)

    async def _preflight(self, scope: Scope, send: Send, origin: str | None) -> None:
        headers: Headers = [(b"content-length", b"0"), (b"cache-control", b"no-store")]
        allowed = self.cors.allowed_origin(origin)
        if allowed is not None:
            headers += [
                (b"access-control-allow-methods", ", ".join(self.cors.methods).encode()),
                (b"access-control-max-age", str(self.cors.max_age).encode()),
            ]
            asked = _header(scope, b"access-control-request-headers")
            if asked:
                headers.append((b"access-control-allow-headers", asked.encode("latin-1")))
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 204,
            "headers": self._with_cors(_secured(headers), allowed),
        }
        await send(start)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _with_cors(self, headers: Headers, allowed: str | None) -> Headers:
        if not self.cors.any_origin:
            headers = _vary_on_origin(headers)
        if allowed is None:
            return headers
        return [
            *headers,
            (b"access-control-allow-origin", allowed.encode("latin-1")),
            (b"access-control-expose-headers", EXPOSED_HEADERS),
        ]


def _secured(headers: Headers) -> Headers:
    names = {name.lower() for name, _ in headers}
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    added: Headers = []
    if b"x-content-type-options" not in names:
        added.append(NOSNIFF)
    if content_type.lower().startswith(b"image/"):
        if b"cross-origin-resource-policy" not in names:
            added.append(CORP)
    elif b"content-security-policy" not in names:
        added.append((b"content-security-policy", PAGE_CSP))
    return [*headers, *added]


def _vary_on_origin(headers: Headers) -> Headers:
    """The answer depends on the Origin header whenever the origins are a list (caches)."""
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"origin" in value.lower():
                return headers
            return [*headers[:index], (name, value + b", Origin"), *headers[index + 1 :]]
    return [*headers, (b"vary", b"Origin")]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
