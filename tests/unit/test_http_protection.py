"""The ASGI app as the server runs it, with in-memory parts: security headers, CORS, rate-limit
headers and 429s, limits that tighten under load, and the 503 of a full render queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from adapters.memory.load_gauge import FixedLoadGauge
from application.errors import Overloaded
from application.ports.image_processor import ImageProcessor, Rendition
from application.tiered_cache import TieredResultCache
from domain.transform import TransformSpec
from entrypoints.composition import Container
from entrypoints.http.app import make_app
from tests.support import images
from tests.support.node import node

IMAGE = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"
SVG = "/media_stream-image/media/acme/uploads/logo.svg/0/0/inside/center/transparent/0/80.svg"
BADGE = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8"/></svg>'
PAGE_CSP = "default-src 'none'; frame-ancestors 'none'"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def make_container(tmp_path: Path, **settings: object) -> Container:
    origin = MemoryOriginFetcher(
        {"media/acme/uploads/a.jpg": images.jpeg(160, 120), "media/acme/uploads/logo.svg": BADGE}
    )
    memory_only = TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=10)])
    return node(tmp_path, origin=origin, result_cache=memory_only, **settings)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(app=make_app(make_container(tmp_path))) as running:
        yield running


# --- security headers ------------------------------------------------------------------------


def test_images_are_nosniff_and_cross_origin_embeddable_without_a_page_csp(
    client: TestClient,
) -> None:
    response = client.get(IMAGE)

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "content-security-policy" not in response.headers
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]  # not twice


def test_an_svg_keeps_its_sandbox_policy(client: TestClient) -> None:
    response = client.get(SVG)

    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers.get_list("content-security-policy") == [SVG_CSP]


@pytest.mark.parametrize(
    "path",
    [
        "/robots.txt",
        "/playground/status",
        "/playground/playground.js",
        "/health/live",
        "/nope",
        IMAGE.replace("/40/", "/99999/"),
    ],
)
def test_everything_but_images_and_the_playground_page_gets_the_strict_policy(
    client: TestClient,
    path: str,
) -> None:
    response = client.get(path)

    assert response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "cross-origin-resource-policy" not in response.headers


# --- CORS ------------------------------------------------------------------------------------


def test_any_origin_by_default_without_varying_on_it(
    client: TestClient,
) -> None:
    from_shop = client.get(IMAGE, headers={"Origin": "https://shop.example"})
    no_origin = client.get(IMAGE)

    assert from_shop.headers["access-control-allow-origin"] == "*"
    assert "X-Fallback" in from_shop.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in no_origin.headers
    assert "vary" not in from_shop.headers


def test_a_list_of_origins_allows_only_those(tmp_path: Path) -> None:
    container = make_container(
        tmp_path, CORS_ORIGIN="https://shop.example,https://cms.example", CORS_MAX_AGE=600
    )
    with TestClient(app=make_app(container)) as client:
        allowed = client.get(IMAGE, headers={"Origin": "https://cms.example"})
        refused = client.get(IMAGE, headers={"Origin": "https://evil.example"})
        preflight = client.options(
            IMAGE,
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-correlation-id",
            },
        )
        bad_preflight = client.options(
            IMAGE,
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )

    assert allowed.headers["access-control-allow-origin"] == "https://cms.example"
    assert allowed.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["vary"] == "Origin"
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert preflight.headers["access-control-allow-headers"] == "x-correlation-id"
    assert preflight.headers["access-control-max-age"] == "600"
    assert bad_preflight.status_code == 204
    assert "access-control-allow-origin" not in bad_preflight.headers
    assert "access-control-allow-methods" not in bad_preflight.headers


def test_an_auto_image_varies_on_accept_and_origin(tmp_path: Path) -> None:
    container = make_container(tmp_path, CORS_ORIGIN="https://shop.example")
    with TestClient(app=make_app(container)) as client:
        response = client.get(
            IMAGE.replace(".jpeg", ".auto"), headers={"Origin": "https://shop.example"}
        )

    assert response.headers["vary"] == "Accept, Origin"


# --- rate limits -----------------------------------------------------------------------------


def test_answers_carry_the_limit_and_a_refusal_is_a_json_429(tmp_path: Path) -> None:
    container = make_container(tmp_path, RATE_LIMIT_IMAGE_MAX_REQUESTS=2)
    with TestClient(app=make_app(container)) as client:
        first, second, refused = (client.get(IMAGE) for _ in range(3))
        other_tenant = client.get(IMAGE.replace("/acme/", "/other/"))

    assert (first.headers["x-ratelimit-limit"], first.headers["x-ratelimit-remaining"]) == (
        "2",
        "1",
    )
    assert second.headers["x-ratelimit-remaining"] == "0"
    assert int(first.headers["x-ratelimit-reset"]) > 1_700_000_000  # epoch seconds
    assert refused.status_code == 429
    body = refused.json()
    assert (body["status"], body["code"]) == (429, "TOO_MANY_REQUESTS")
    assert body["path"] == IMAGE
    assert body["correlationId"] == refused.headers["x-correlation-id"]
    # sliding window: the full current window must fade too, so up to two windows
    assert 1 <= int(refused.headers["retry-after"]) <= 120
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["content-security-policy"] == PAGE_CSP
    assert other_tenant.headers["x-ratelimit-remaining"] == "1"  # a bucket of its own


def test_health_probes_are_never_limited(tmp_path: Path) -> None:
    container = make_container(tmp_path, RATE_LIMIT_MAX_REQUESTS=1)
    with TestClient(app=make_app(container)) as client:
        probes = [client.get("/health/live") for _ in range(5)]
        pages = [client.get("/robots.txt").status_code for _ in range(2)]

    assert {probe.status_code for probe in probes} == {200}
    assert "x-ratelimit-limit" not in probes[0].headers
    assert pages == [200, 429]


def test_rate_limits_can_be_switched_off(tmp_path: Path) -> None:
    container = make_container(tmp_path, RATE_LIMIT_ENABLED=False, RATE_LIMIT_MAX_REQUESTS=1)
    with TestClient(app=make_app(container)) as client:
        pages = [client.get("/robots.txt") for _ in range(3)]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "x-ratelimit-limit" not in pages[0].headers


def test_the_limit_tightens_while_the_node_is_loaded_and_recovers(tmp_path: Path) -> None:
    container = make_container(tmp_path, RATE_LIMIT_MAX_REQUESTS=10)
    gauge = FixedLoadGauge()
    container.http.built_load_gauge.override(providers.Object(gauge))
    with TestClient(app=make_app(container)) as client:
        calm = client.get("/robots.txt")
        gauge.set(cpu=1.0)
        loaded = [client.get("/robots.txt") for _ in range(2)]
        gauge.set(cpu=0.0)
        recovered = client.get("/robots.txt")

    assert calm.headers["x-ratelimit-limit"] == "10"
    assert [response.headers["x-ratelimit-limit"] for response in loaded] == ["2", "2"]
    assert [response.status_code for response in loaded] == [200, 429]  # 1 counted before
    assert recovered.headers["x-ratelimit-limit"] == "10"
    assert recovered.status_code == 200


# --- backpressure ----------------------------------------------------------------------------


class RefusingProcessor(ImageProcessor):
    """Refuses every render as a full render queue does."""

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition:
        raise Overloaded("queue full", retry_after=3)

    async def close(self) -> None:
        return None


def test_a_full_render_queue_is_a_json_503_with_retry_after(tmp_path: Path) -> None:
    container = make_container(tmp_path)
    container.imaging.processor.override(providers.Object(RefusingProcessor()))
    with TestClient(app=make_app(container)) as client:
        response = client.get(IMAGE)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "3"
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["cache-control"] == "no-store"
