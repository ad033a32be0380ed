"""Security headers on every answer, and CORS (`CORS_ORIGIN`, `CORS_METHODS`, `CORS_MAX_AGE`).

- `X-Content-Type-Options: nosniff` everywhere: browsers take the Content-Type as given;
- images get `Cross-Origin-Resource-Policy: cross-origin` (other sites embed them);
- everything else gets `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`
  (JSON, text, scripts and style sheets load nothing and are framed by nobody); an answer that
  sets its own policy keeps it: an SVG its sandboxing one, the playground page at `/` one that
  allows its own script, style sheet, previews and JSON (ADR 29);
- CORS: `Access-Control-Allow-Origin` only for an allowed origin (`*` when so configured, and
  then without `Vary: Origin`), and a preflight answered at the HTTP edge, before routing and
  rate limits.

The HTTP edge (`edge.py`) applies these to each answer's headers in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAGE_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
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
    any_origin: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "any_origin", "*" in self.origins)

    def allowed_origin(self, origin: str | None) -> str | None:
        """The `Access-Control-Allow-Origin` value for a request from `origin`, if any."""
        if origin is None:
            return None
        if self.any_origin:
            return "*"
        return origin if origin in self.origins else None

    def preflight_headers(self, allowed: str | None, asked_headers: bytes | None) -> Headers:
        """The head of the 204 answering a preflight (before `secure` adds the rest)."""
        headers: Headers = [(b"content-length", b"0"), (b"cache-control", b"no-store")]
        if allowed is not None:
            headers += [
                (b"access-control-allow-methods", ", ".join(self.methods).encode()),
                (b"access-control-max-age", str(self.max_age).encode()),
            ]
            if asked_headers:
                headers.append((b"access-control-allow-headers", asked_headers))
        return headers

    def secure(self, headers: Headers, allowed: str | None) -> None:
        """Add the security and CORS headers an answer with `headers` lacks (in place)."""
        content_type = b""
        sniff = corp = csp = False
        vary = -1
        for index, (name, value) in enumerate(headers):
            lowered = name.lower()
            if lowered == b"content-type":
                content_type = value
            elif lowered == b"x-content-type-options":
                sniff = True
            elif lowered == b"cross-origin-resource-policy":
                corp = True
            elif lowered == b"content-security-policy":
                csp = True
            elif lowered == b"vary":
                vary = index
        if not sniff:
            headers.append(NOSNIFF)
        if content_type[:6].lower() == b"image/":
            if not corp:
                headers.append(CORP)
        elif not csp:
            headers.append(PAGE_CSP)
        if not self.any_origin:
            _vary_on_origin(headers, vary)
        if allowed is not None:
            headers.append((b"access-control-allow-origin", allowed.encode("latin-1")))
            headers.append((b"access-control-expose-headers", EXPOSED_HEADERS))


def _vary_on_origin(headers: Headers, vary: int) -> None:
    """The answer depends on the Origin header whenever the origins are a list (caches)."""
    if vary < 0:
        headers.append((b"vary", b"Origin"))
        return
    name, value = headers[vary]
    if b"origin" not in value.lower():
        headers[vary] = (name, value + b", Origin")
