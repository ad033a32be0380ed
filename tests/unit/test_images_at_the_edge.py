"""The image route answered at the HTTP edge (`ImagesAtTheEdge`) gives exactly the answers the
same route gives through Litestar's router: two nodes alike, one app each way, the same
requests, the same statuses, heads, bodies and metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from adapters.memory.metrics import MemoryMetrics
from application.tiered_cache import TieredResultCache
from domain.signing import UrlSigner
from entrypoints.composition import Container
from entrypoints.http.app import make_app, make_litestar
from entrypoints.http.edge import HttpEdge, http_edge
from entrypoints.http.images import ImagesAtTheEdge
from entrypoints.http.observability import MEDIA_ROUTE
from tests.support import images
from tests.support.node import node

KEY = "a-signing-key-of-some-length"
OPTIONS = "40/30/cover/center/transparent/0/80.jpeg"
URL = "/media_stream-image/media/acme/uploads/a.jpg/" + OPTIONS
PRESET = "/media_stream-image/preset/thumb/media/acme/uploads/a.jpg"
SIGNED = URL + "?s=" + UrlSigner((KEY,)).sign(URL)
# what differs between two runs of the same request: time, and the request's own ID
PER_REQUEST = {"x-correlation-id", "server-timing", "x-ratelimit-reset", "last-modified", "date"}


def a_node(directory: Path, metrics: MemoryMetrics) -> Container:
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    return node(
        directory,
        origin=origin,
        result_cache=TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=10)]),
        metrics=metrics,
        CORS_ORIGIN=["https://shop.example"],
        RATE_LIMIT_IMAGE_MAX_REQUESTS=16,
        URL_SIGNING_KEYS=(KEY,),
        IMAGE_PRESETS=json.dumps({"thumb": OPTIONS}),
    )


def through_litestar(container: Container) -> HttpEdge:
    """The whole app, but the edge hands every image request to Litestar's router."""
    return http_edge(make_litestar(container), container)


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[tuple[tuple[TestClient, MemoryMetrics], ...]]:
    edge_metrics, router_metrics = MemoryMetrics(), MemoryMetrics()
    edge_app = make_app(a_node(tmp_path / "edge", edge_metrics))
    router_app = through_litestar(a_node(tmp_path / "router", router_metrics))
    with TestClient(app=edge_app) as edge, TestClient(app=router_app) as router:
        yield (edge, edge_metrics), (router, router_metrics)


def seen(response: httpx.Response) -> tuple[int, list[tuple[str, str]], object]:
    """What a client sees of an answer, less what differs from one request to the next."""
    heads = [(name, value) for name, value in response.headers.multi_items()]
    kept = [(name, value) for name, value in heads if name not in PER_REQUEST]
    if response.headers.get("content-type") == "application/json":
        body: object = json.loads(response.content)
        assert isinstance(body, dict)
        assert body.pop("correlationId") == response.headers["x-correlation-id"]
        body.pop("timestamp")
    else:
        body = response.content
    return response.status_code, kept, body


# (method, path, headers): a miss, hits, HEAD, 304s, a preset, a signed URL, errors, and what
# the edge leaves to Litestar (another query, a trailing slash, a doubled slash, POST)
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", URL, {}),
    ("GET", URL, {"Origin": "https://shop.example"}),
    ("HEAD", URL, {}),
    ("GET", URL, {"If-None-Match": "<etag>"}),
    ("HEAD", URL, {"If-None-Match": "<etag>"}),
    ("GET", URL, {"If-None-Match": '"other"', "Accept": "image/webp,*/*"}),
    ("GET", PRESET, {}),
    ("GET", SIGNED, {}),
    ("GET", URL + "?s=bad-signature", {}),
    ("GET", URL + "?v=2", {}),
    ("GET", "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/nowhere/x/0/80.jpeg", {}),
    ("GET", "/media_stream-image/media/acme/uploads/missing.jpg/" + OPTIONS, {}),
    ("GET", "/media_stream-image/preset/nothing/media/acme/uploads/a.jpg", {}),
    ("GET", URL + "/", {}),
    ("GET", URL.replace("uploads/", "uploads//"), {}),
    ("POST", URL, {}),
    ("GET", URL, {}),  # the 17th image request of the tenant and client: 429
]


def test_every_answer_is_the_same_whether_the_edge_or_litestar_routes_it(
    twins: tuple[tuple[TestClient, MemoryMetrics], ...],
) -> None:
    (edge, edge_metrics), (router, router_metrics) = twins
    etags: dict[int, str] = {}  # by client
    statuses = []
    for method, path, headers in REQUESTS:
        answers = []
        for client in (edge, router):
            sent = {
                name: etags.get(id(client), "") if value == "<etag>" else value
                for name, value in headers.items()
            }
            response = client.request(method, path, headers=sent)
            if path == URL and response.status_code == 200:
                etags[id(client)] = response.headers["etag"]
            answers.append(seen(response))
        assert answers[0] == answers[1], (method, path, headers)
        statuses.append(answers[0][0])

    # a missing original: the fallback image; a trailing slash: Litestar strips it from the
    # routed path, the route reads the path as sent; a doubled slash: an empty segment
    assert statuses[:13] == [200, 200, 200, 304, 304, 200, 200, 200, 403, 200, 400, 200, 404]
    assert statuses[13:] == [400, 400, 405, 429]
    assert requests_seen(edge_metrics) == requests_seen(router_metrics)


# the series requests move (the process's own levels and timings aside)
REQUEST_SERIES = (
    "mediastream_http_",
    "mediastream_errors_total",
    "mediastream_rate_limit_",
    "mediastream_cache_operations_total",
    "mediastream_origin_fetch_total",
    "mediastream_image_processing_total",
)


def requests_seen(metrics: MemoryMetrics) -> dict[tuple[str, str], object]:
    """Per request series: its count (and for histograms of sizes, the sizes observed)."""
    seen: dict[tuple[str, str], object] = {}
    for name, labels in metrics.series():
        if not name.startswith(REQUEST_SERIES):
            continue
        key = (name, json.dumps(labels, sort_keys=True))
        observed = metrics.observations(name, **labels)
        if name.endswith("_size_bytes"):
            seen[key] = observed
        else:
            seen[key] = len(observed) or metrics.value(name, **labels)
    assert seen
    return seen


def test_the_edge_answers_image_requests_without_litestar(tmp_path: Path) -> None:
    """Litestar's router never sees an image GET or HEAD the edge takes; it sees the rest."""
    container = a_node(tmp_path, MemoryMetrics())
    litestar = make_litestar(container)
    routed: list[str] = []

    async def router(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            routed.append(scope["method"] + " " + scope["path"])
        await litestar(scope, receive, send)

    app = http_edge(router, container, ImagesAtTheEdge(litestar, container.http.image_route))
    with TestClient(app=app) as client:
        assert client.get(URL).status_code == 200
        assert client.head(URL).status_code == 200
        assert client.get(PRESET).status_code == 200
        assert client.get(SIGNED).status_code == 200
        assert client.get(URL + "?v=2").status_code == 200
        assert client.post(URL).status_code == 405

    assert routed == [f"GET {URL}", f"POST {URL}"]


def test_image_answers_at_the_edge_are_reported_under_their_route(tmp_path: Path) -> None:
    metrics = MemoryMetrics()
    with TestClient(app=make_app(a_node(tmp_path, metrics))) as client:
        client.get(URL)
        client.get(URL)
        client.get(PRESET)

    assert (
        metrics.value(
            "mediastream_http_requests_total",
            method="GET",
            route=MEDIA_ROUTE,
            status="200",
            tenant="acme",
        )
        == 2
    )
    preset = {"method": "GET", "route": "/media_stream-image/{rest}", "status": "200"}
    assert metrics.value("mediastream_http_request_duration_seconds_count", **preset) == 1


def test_the_edge_refuses_to_answer_for_a_route_with_hooks_it_would_skip(tmp_path: Path) -> None:
    container = a_node(tmp_path, MemoryMetrics())
    litestar = make_litestar(container)

    async def before_send(message: object, scope: object) -> None:
        return None

    litestar.before_send.append(before_send)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hooks the edge skips"):
        ImagesAtTheEdge(litestar, container.http.image_route)
