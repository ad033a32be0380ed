"""The two image routes: parse, serve through the use case, answer with the spec's headers."""

from __future__ import annotations

from litestar import HttpMethod, Request, route
from litestar.datastructures import State
from litestar.response.base import ASGIResponse

from application.serve_image import ImageQuery, ServeImage
from domain.route import PREFIX, parse_image_path
from entrypoints.http.image_response import image_response, request_headers


@route(PREFIX + "{rest:path}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="image")
async def image(request: Request[object, object, State]) -> ASGIResponse:
    """Serve `/media_stream-image/media/...` and `/media_stream-image/static/images/...`."""
    state = request.app.state
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    path = raw_path.decode("utf-8", "surrogateescape")  # invalid bytes become a 400 when parsed
    image_request = parse_image_path(path, max_length=state.max_path_length)
    serve: ServeImage = state.serve_image
    accept, if_none_match, if_modified_since = request_headers(request.scope)
    answer = await serve(
        ImageQuery(
            request=image_request,
            accept=accept,
            if_none_match=if_none_match,
            if_modified_since=if_modified_since,
        )
    )
    return image_response(answer, state.public_ttl, head_only=request.method == HttpMethod.HEAD)
