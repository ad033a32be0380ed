"""The info route: what an original is, as JSON, for placeholders painted before the image.

GET /media_stream-meta/media/{tenant}/uploads/{path+}
GET /media_stream-meta/static/images/{image}

Off unless IMAGE_INFO_ENABLED (a 404 JSON error then). Signed like the image routes when
URL_SIGNING_KEYS is set (ADR 24).
"""

from __future__ import annotations

from email.utils import formatdate

from litestar import HttpMethod, Request, Response, route
from litestar.datastructures import State
from litestar.di import NamedDependency

from application.describe_image import InfoAnswer, InfoQuery, InfoUnavailable
from domain.errors import InvalidRequest
from domain.image_info import META_PREFIX, parse_info_path
from domain.route import RouteNotFound
from entrypoints.composition import InfoRoute
from entrypoints.http.images import Signature, public_cache_control

JSON = "application/json"


@route(
    META_PREFIX + "{rest:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    name="image_info",
    description=(
        "With IMAGE_INFO_ENABLED (else 404): `{rest}` is `media/{tenant}/uploads/{path}` or "
        "`static/images/{image}`. What the original is, fetched and cached like an image; "
        "404 JSON when the origin has no such original, 422 when it is no image, 403 when a "
        "required signature `s` is missing or wrong (ADR 24)."
    ),
    response_description=(
        'JSON {"width", "height" (after EXIF orientation), "format", "frames", "hasAlpha", '
        '"bytes", "dominantColor" ("#rrggbb"), "thumbhash" (base64), "preview" (data: URI '
        "of a PNG at most 16 px)}; 304 on a matching If-None-Match or If-Modified-Since"
    ),
)
async def image_info(
    request: Request[object, object, State],
    info_route: NamedDependency[InfoRoute],
    signature: Signature = None,
) -> Response[bytes]:
    """What the original of `/media_stream-meta/{media/{tenant}/uploads/{path}|static/images/
    {image}}` is: size, format, frames, alpha, bytes, dominant colour and a ThumbHash.

    Needs IMAGE_INFO_ENABLED. 404 JSON when the origin has no such original, 422 when it is no
    image, 403 when a required signature (`?s=`) is missing or wrong.
    """
    if not info_route.enabled:
        raise RouteNotFound("the info route is not enabled (IMAGE_INFO_ENABLED)")
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    path = raw_path.partition(b"?")[0].decode("utf-8", "surrogateescape")
    urls = info_route.urls
    if urls.reads_signatures:
        urls.signatures.check(path, signature)
    source = parse_info_path(path, max_length=info_route.max_path_length)
    try:
        answer = await info_route.describe(
            InfoQuery(
                source=source,
                if_none_match=request.headers.get("if-none-match"),
                if_modified_since=request.headers.get("if-modified-since"),
            )
        )
    except InfoUnavailable as exc:
        # answered as JSON by the one error mapping, like a refused request
        raise InvalidRequest(exc.message, code=exc.code, status=exc.status) from exc
    headers = _headers(answer, info_route.public_ttl)
    if answer.not_modified:
        return Response(b"", status_code=304, headers=headers)
    headers["Content-Length"] = str(answer.result.size)
    body = b"" if request.method == HttpMethod.HEAD else answer.result.data
    return Response(body, status_code=200, media_type=JSON, headers=headers)


def _headers(answer: InfoAnswer, public_ttl: int) -> dict[str, str]:
    return {
        "Cache-Control": public_cache_control(public_ttl),
        "ETag": answer.result.etag,
        "Last-Modified": formatdate(answer.result.produced_at, usegmt=True),
        "X-Cache": answer.cache.value,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
