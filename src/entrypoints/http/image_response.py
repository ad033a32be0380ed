"""The answer of the image routes, written straight to ASGI with a head prepared per result.

Everything in the head of an image answer (Cache-Control, ETag, Last-Modified, X-Cache,
Vary, X-Fallback, the security headers, Content-Type and -Length) follows from the result and
how it was found, not from the request: it is encoded once per result and kind of answer and
reused by every hit, instead of being built header by header through Litestar's `Response`.
"""

from __future__ import annotations

from email.utils import formatdate
from functools import lru_cache

from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from application.serve_image import ImageAnswer
from domain.formats import OutputFormat
from domain.result import CacheStatus, FallbackReason

FALLBACK_CACHE_CONTROL = "public, max-age=60"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# heads remembered: one per result and kind of answer (hit layer, 200 or 304)
HEADS_REMEMBERED = 4096

Head = tuple[tuple[bytes, bytes], ...]  # shared by every answer of a result: never mutated


def public_cache_control(ttl: int) -> str:
    """Cache-Control of a real result: long-lived and immutable at every cache."""
    return (
        f"public, max-age={ttl}, s-maxage={ttl}, immutable, "
        "stale-while-revalidate=604800, stale-if-error=2592000"
    )


class ImageResponse(ASGIResponse):
    """An image answer: a prepared head and the result's bytes (none for HEAD and 304)."""

    __slots__ = ("_head",)

    def __init__(self, status: int, head: Head, body: bytes) -> None:
        # Litestar's own __init__ would re-encode the head header by header: not called, and
        # nothing but __call__ below is used by the router for a returned ASGI response
        self.status_code = status
        self._head = head
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self._head}
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def image_response(answer: ImageAnswer, public_ttl: int, *, head_only: bool) -> ImageResponse:
    """The ASGI answer to an image request: 304 when the client's copy is current."""
    result = answer.result
    head = _head(
        result.etag,
        result.produced_at,
        result.format,
        result.size,
        answer.cache,
        answer.fallback,
        answer.vary_accept,
        public_ttl,
        answer.not_modified,
    )
    if answer.not_modified:
        return ImageResponse(304, head, b"")
    return ImageResponse(200, head, b"" if head_only else result.data)


@lru_cache(maxsize=HEADS_REMEMBERED)
def _head(
    etag: str,
    produced_at: int,
    output: OutputFormat,
    size: int,
    cache: CacheStatus,
    fallback: FallbackReason | None,
    vary_accept: bool,
    public_ttl: int,
    not_modified: bool,
) -> Head:
    headers = {
        "cache-control": FALLBACK_CACHE_CONTROL if fallback else public_cache_control(public_ttl),
        "etag": etag,
        "last-modified": formatdate(produced_at, usegmt=True),
        "x-cache": cache.value,
        "x-content-type-options": "nosniff",
        "cross-origin-resource-policy": "cross-origin",
    }
    if vary_accept:
        headers["vary"] = "Accept"
    if fallback is not None:
        headers["x-fallback"] = fallback.value
    if output is OutputFormat.SVG:
        headers["content-security-policy"] = SVG_CSP
    if not not_modified:
        headers["content-length"] = str(size)
        headers["content-type"] = output.media_type
    return tuple((name.encode(), value.encode("latin-1")) for name, value in headers.items())


_READ = frozenset({b"accept", b"if-none-match", b"if-modified-since"})


def request_headers(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """The request's `Accept`, `If-None-Match` and `If-Modified-Since` (the first of each), in
    one pass over the scope's headers."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _READ and name not in found:
            found[name] = value.decode("latin-1")
    return found.get(b"accept"), found.get(b"if-none-match"), found.get(b"if-modified-since")
