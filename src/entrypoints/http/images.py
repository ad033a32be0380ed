"""The image routes: parse (signatures and presets applied), serve through the use case,
answer with the spec's headers (a head prepared per result: `image_response.py`)."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar import HttpMethod, Request, route
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response.base import ASGIResponse

from application.serve_image import ImageQuery
from domain.route import PREFIX
from domain.signing import SIGNATURE_PARAMETER
from entrypoints.composition import ImageRoute
from entrypoints.http.image_response import image_response, public_cache_control, request_headers

__all__ = ["Signature", "image", "public_cache_control"]

# the `?s=` of a signed URL (ADR 24), documented in the OpenAPI document of both routes
Signature: TypeAlias = Annotated[
    str | None,
    QueryParameter(
        name=SIGNATURE_PARAMETER,
        required=False,
        description="base64url HMAC-SHA256 of the path as sent, under URL_SIGNING_KEYS (ADR 24)",
    ),
]

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
) -> ASGIResponse:
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
    accept, if_none_match, if_modified_since = request_headers(request.scope)
    answer = await image_route.serve(
        ImageQuery(
            request=image_request,
            accept=accept,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            path=path,
        )
    )
    return image_response(
        answer, image_route.public_ttl, head_only=request.method == HttpMethod.HEAD
    )
