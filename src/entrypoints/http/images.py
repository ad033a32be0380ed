"""The two image routes: parse, serve through the use case, answer with the spec's headers."""

from __future__ import annotations

from email.utils import formatdate
from functools import lru_cache

from litestar import HttpMethod, Request, Response, route
from litestar.datastructures import State

from application.serve_image import ImageAnswer, ImageQuery, ServeImage
from domain.formats import OutputFormat
from domain.image_urls import ImageUrls
from domain.route import PREFIX
from domain.signing import SIGNATURE_PARAMETER

FALLBACK_CACHE_CONTROL = "public, max-age=60"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@lru_cache(maxsize=8)
def public_cache_control(ttl: int) -> str:
    """Cache-Control of a real result: long-lived and immutable at every cache."""
    return (
        f"public, max-age={ttl}, s-maxage={ttl}, immutable, "
        "stale-while-revalidate=604800, stale-if-error=2592000"
    )


@route(PREFIX + "{rest:path}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="image")
async def image(request: Request[object, object, State]) -> Response[bytes]:
    """Serve `/media_stream-image/media/...` and `/media_stream-image/static/images/...`."""
    state = request.app.state
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    # invalid bytes become a 400 when parsed; some ASGI clients leave the query on raw_path
    path = raw_path.partition(b"?")[0].decode("utf-8", "surrogateescape")
    # signatures and presets (ADR 24); by default, the URL grammar alone
    urls: ImageUrls = state.features.image_urls
    signature = request.query_params.get(SIGNATURE_PARAMETER) if urls.reads_signatures else None
    image_request = urls.request_of(path, signature, max_length=state.max_path_length)
    serve: ServeImage = state.serve_image
    answer = await serve(
        ImageQuery(
            request=image_request,
            accept=request.headers.get("accept"),
            if_none_match=request.headers.get("if-none-match"),
            if_modified_since=request.headers.get("if-modified-since"),
        )
    )
    headers = _headers(answer, state.public_ttl)
    if answer.not_modified:
        return Response(b"", status_code=304, headers=headers)
    headers["Content-Length"] = str(answer.result.size)
    body = b"" if request.method == HttpMethod.HEAD else answer.result.data
    return Response(body, status_code=200, media_type=answer.result.media_type, headers=headers)


def _headers(answer: ImageAnswer, public_ttl: int) -> dict[str, str]:
    result = answer.result
    headers = {
        "Cache-Control": FALLBACK_CACHE_CONTROL
        if answer.fallback
        else public_cache_control(public_ttl),
        "ETag": result.etag,
        "Last-Modified": _http_date(result.produced_at),
        "X-Cache": answer.cache.value,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if answer.vary_accept:
        headers["Vary"] = "Accept"
    if answer.fallback is not None:
        headers["X-Fallback"] = answer.fallback.value
    if result.format is OutputFormat.SVG:
        headers["Content-Security-Policy"] = SVG_CSP
    return headers


@lru_cache(maxsize=4096)
def _http_date(epoch_seconds: int) -> str:
    """The HTTP date of a result's production time: formatted once per result, not per hit."""
    return formatdate(epoch_seconds, usegmt=True)
