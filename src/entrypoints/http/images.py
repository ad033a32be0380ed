"""The image routes: parse (signatures and presets applied), serve through the use case,
answer with the spec's headers (a head prepared per result: `image_response.py`).

The route is registered with Litestar, and the HTTP edge answers the GET and HEAD requests it
can without Litestar's router (`ImagesAtTheEdge`): both call `answer_image`."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, TypeAlias

from litestar import HttpMethod, Litestar, Request, route
from litestar._asgi.utils import is_valid_host
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.types import HTTPScope, Receive, Send

from application.serve_image import ImageQuery
from domain.route import PREFIX
from domain.signing import SIGNATURE_PARAMETER
from entrypoints.composition import ImageRoute
from entrypoints.http.errors import answer_error
from entrypoints.http.image_response import (
    ImageResponse,
    image_response,
    public_cache_control,
    request_headers,
)

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
) -> ImageResponse:
    """Serve `/media_stream-image/media/...` and `/media_stream-image/static/images/...`.

    Also `/media_stream-image/preset/{name}/media/{tenant}/uploads/{path}` and
    `/media_stream-image/preset/{name}/static/images/{image}`: the options of the preset
    `name` (IMAGE_PRESETS), the same result as the spelled-out URL; an unknown preset is a
    404, and with PRESETS_ONLY a spelled-out URL is a 403. With URL_SIGNING_KEYS, `?s=` is
    the signature of the path (403 when wrong, or when missing and URL_SIGNING_REQUIRED).
    """
    accept, if_none_match, if_modified_since = request_headers(request.scope)
    return await answer_image(
        image_route,
        request.scope.get("raw_path") or request.scope["path"].encode(),
        signature,
        (accept, if_none_match, if_modified_since),
        head_only=request.method == HttpMethod.HEAD,
    )


async def answer_image(
    image_route: ImageRoute,
    raw_path: bytes,
    signature: str | None,
    conditions: tuple[str | None, str | None, str | None],
    *,
    head_only: bool,
) -> ImageResponse:
    """The answer to an image request for `raw_path` (as sent), with its `?s=` and its
    `Accept`, `If-None-Match` and `If-Modified-Since`: the route's work, wherever it is
    called from (Litestar's router, or the HTTP edge: `ImagesAtTheEdge`)."""
    # invalid bytes become a 400 when parsed; some ASGI clients leave the query on raw_path
    path = raw_path.partition(b"?")[0].decode("utf-8", "surrogateescape")
    # signatures and presets (ADR 24); by default, the URL grammar alone
    urls = image_route.urls
    image_request = urls.request_of(
        path, signature if urls.reads_signatures else None, max_length=image_route.max_path_length
    )
    accept, if_none_match, if_modified_since = conditions
    answer = await image_route.serve(
        ImageQuery(
            request=image_request,
            accept=accept,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
            path=path,
        )
    )
    return image_response(answer, image_route.public_ttl, head_only=head_only)


# what the edge answers itself: a query string that is empty or one `?s=` (base64url), and a
# path Litestar would not rewrite (its router strips trailing and doubled slashes)
_SIGNATURE_QUERY = re.compile(rb"s=([A-Za-z0-9_=-]+)")
_METHODS = frozenset({"GET", "HEAD"})


class ImagesAtTheEdge:
    """The image route answered by the HTTP edge, without Litestar's router, request objects
    and dependency resolution: the same `answer_image`, the same error answers (the app's
    exception handlers, as Litestar would call them), the same scope keys for the report.

    `takes` says whether a request is one it answers; anything else (another method, a query
    it does not read, a path the router would rewrite, a mounted app, an invalid `Host`)
    goes to Litestar as before. `image_route` gives the route's parts, taken at the first
    request (once the container is open).
    """

    def __init__(self, app: Litestar, image_route: Callable[[], ImageRoute]) -> None:
        found = app.get_handler_index_by_name("image")
        if found is None:
            raise LookupError("the Litestar app has no image route")
        handler = self._handler = found["handler"]
        if not isinstance(handler, HTTPRouteHandler):
            raise LookupError("the Litestar app's image route is not an HTTP route")
        hooked = (
            handler.resolve_guards(),
            handler.resolve_middleware(),
            handler.resolve_before_request(),
            handler.resolve_after_response(),
            app.before_send,
        )
        if any(hooked):  # they would run for the routed requests only
            raise ValueError("the image route has guards, middleware or hooks the edge skips")
        # the route template Litestar's router puts in the scope (`{rest}`, without the type)
        path = found["paths"][0]
        self._template = next(route.path_format for route in app.routes if route.path == path)
        self._image_route = image_route
        self._route: ImageRoute | None = None

    def takes(self, scope: HTTPScope, path: str, host: bytes | None) -> bool:
        """Whether the edge answers this request itself (`path` as asked, `host` as sent)."""
        return (
            scope["method"] in _METHODS
            and path.startswith(PREFIX)
            and not path.endswith("/")
            and "//" not in path
            and not scope.get("root_path")
            and (not scope.get("query_string") or _signature_of(scope) is not None)
            and (host is None or _valid_host(host))
        )

    async def __call__(
        self,
        scope: HTTPScope,
        receive: Receive,
        send: Send,
        conditions: tuple[str | None, str | None, str | None],
    ) -> None:
        """Answer a request `takes` took, with its `Accept`, `If-None-Match` and
        `If-Modified-Since` (read by the edge in its pass over the headers)."""
        route = self._route
        if route is None:
            route = self._route = self._image_route()
        # what Litestar's router leaves in the scope for the report (`route_label`)
        scope["route_handler"] = self._handler
        scope["path_template"] = self._template
        try:
            response = await answer_image(
                route,
                scope.get("raw_path") or scope["path"].encode(),
                _signature_of(scope) if scope.get("query_string") else None,
                conditions,
                head_only=scope["method"] == "HEAD",
            )
        except Exception as error:  # what Litestar's exception middleware catches
            await answer_error(scope, receive, send, error)
            return
        await response(scope, receive, send)


def _signature_of(scope: HTTPScope) -> str | None:
    match = _SIGNATURE_QUERY.fullmatch(scope.get("query_string", b""))
    return match.group(1).decode("ascii") if match else None


@lru_cache(maxsize=256)  # a node is asked under a few host names
def _valid_host(host: bytes) -> bool:
    return is_valid_host(host)
