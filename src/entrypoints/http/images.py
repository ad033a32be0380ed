"""The two image routes: parse, serve through the use case, answer with the spec's headers."""

from __future__ import annotations

from email.utils import formatdate
from functools import lru_cache
from typing import Annotated, TypeAlias

from litestar import HttpMethod, Request, Response, route
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.serve_image import ImageAnswer, ImageQuery
from domain.formats import OutputFormat
from domain.route import PREFIX
from domain.signing import SIGNATURE_PARAMETER
from entrypoints.composition import ImageRoute

FALLBACK_CACHE_CONTROL = "public, max-age=60"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# the `?s=` of a signed URL (ADR 24), documented in the OpenAPI document of both routes
Signature: TypeAlias = Annotated[
    str | None,
    QueryParameter(
        name=SIGNATURE_PARAMETER,
        required=False,
        description="base64url HMAC-SHA256 of the path as sent, under URL_SIGNING_KEYS (ADR 24)",
    ),
]


@lru_cache(maxsize=8)
def public_cache_control(ttl: int) -> str:
    """Cache-Control of a real result: long-lived and immutable at every cache."""
    return (
        f"public, max-age={ttl}, s-maxage={ttl}, immutable, "
        "stale-while-revalidate=604800, stale-if-error=2592000"
    )


IMAGE_ROUTE_DESCRIPTION = (
    "`{rest}` is `media/{tenant}/uploads/{path}/{width}/{height}/{fit}/{position}/{background}"
    "/{trim}/{quality}.{format}` or `static/images/{image}/...` (the same seven options), or, "
    "with IMAGE_PRESETS, `preset/{name}/media/{tenant}/uploads/{path}` or "
    "`preset/{name}/static/images/{image}`: the preset's options, the same result as the "
    "spelled-out URL (unknown preset: 404; PRESETS_ONLY: spelled-out URLs are 403). With "
    "URL_SIGNING_KEYS, `s` is the signature of the path (403 when wrong, or when missing and "
    "URL_SIGNING_REQUIRED). See README and ADR 24."
)


@route(
    PREFIX + "{rest:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    name="image",
    description=IMAGE_ROUTE_DESCRIPTION,
)
async def image(
    request: Request[object, object, State],
    image_route: NamedDependency[ImageRoute],
    signature: Signature = None,
) -> Response[bytes]:
    """Serve `/media_stream-image/media/...` and `/media_stream-image/static/images/...`.

    Also `/media_stream-image/preset/{name}/media/{tenant}/uploads/{path}` and
    `/media_stream-image/preset/{name}/static/images/{image}`: the options of the preset
    `name` (IMAGE_PRESETS), the same result as the spelled-out URL; an unknown preset is a
    404, and with PRESETS_ONLY a spelled-out URL is a 403. With URL_SIGNING_KEYS, `?s=` is
    the signature of the path (403 when wrong, or when missing and URL_SIGNING_REQUIRED).
    """
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    # invalid bytes become a 400 when parsed; some ASGI clients leave the query on raw_path
    path = raw_path.partition(b"?")[0].decode("utf-8", "surrogateescape")
    # signatures and presets (ADR 24); by default, the URL grammar alone
    urls = image_route.urls
    image_request = urls.request_of(
        path, signature if urls.reads_signatures else None, max_length=image_route.max_path_length
    )
    answer = await image_route.serve(
        ImageQuery(
            request=image_request,
            accept=request.headers.get("accept"),
            if_none_match=request.headers.get("if-none-match"),
            if_modified_since=request.headers.get("if-modified-since"),
            path=path,
        )
    )
    headers = _headers(answer, image_route.public_ttl)
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
