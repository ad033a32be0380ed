"""The HTTP wrapper and the operator routes, on the container's app with in-memory parts."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from litestar.types import Receive, Scope, Send

from adapters.memory import FixedClock, MemoryOriginFetcher
from adapters.memory.metrics import MemoryMetrics
from application.performance import PerformanceLimits, PerformanceWatch
from application.timing import record
from entrypoints.composition import Container
from entrypoints.http.app import make_app
from entrypoints.http.edge import HttpEdge
from entrypoints.http.observability import (
    MEDIA_ROUTE,
    STATIC_ROUTE,
    RequestObserver,
    route_label,
    tenant_label,
)
from entrypoints.http.security import CorsPolicy
from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import Settings, load_settings
from tests.support import images
from tests.support.node import node

URL = "/media_stream-image/media/acme/uploads/a.jpg/40/30/cover/center/transparent/0/80.jpeg"
SECRET = "s3cret-value"


@pytest.fixture
def metrics() -> MemoryMetrics:
    return MemoryMetrics()


@pytest.fixture
def container(metrics: MemoryMetrics, tmp_path: Path) -> Iterator[Container]:
    settings = Settings(
        CACHE_FILE_DIRECTORY=tmp_path,
        IMAGE_WORKER_THREADS=1,
        INTERNAL_ADMIN_SECRET=SECRET,
        SLOW_REQUEST_THRESHOLD_MS=0,
    )
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    return node(origin=origin, metrics=metrics, **settings.model_dump())


def requests_total(metrics: MemoryMetrics, route: str, status: str, tenant: str = "") -> float:
    return metrics.value(
        "mediastream_http_requests_total", method="GET", route=route, status=status, tenant=tenant
    )


def test_requests_are_counted_under_their_route_template(
    container: Container, metrics: MemoryMetrics
) -> None:
    other = URL.replace("/40/30/", "/41/30/")
    with TestClient(app=make_app(container)) as client:
        statuses = [client.get(url).status_code for url in (URL, URL, other)]
        client.get("/health/live")
        client.get("/media_stream-image/media/acme/uploads/a.jpg/1/1/cover/center/zz/0/80.png")
        client.get("/no/such/page")

    assert statuses == [200, 200, 200]
    assert requests_total(metrics, MEDIA_ROUTE, "200", tenant="acme") == 3
    assert requests_total(metrics, MEDIA_ROUTE, "400") == 1
    assert requests_total(metrics, "/health/live", "200") == 1
    assert requests_total(metrics, "unmatched", "404") == 1
    assert metrics.total("mediastream_http_requests_total") == 6  # no raw path anywhere
    assert metrics.value("mediastream_errors_total", kind="http", code="400") == 1
    sizes = metrics.observations(
        "mediastream_http_response_size_bytes", method="GET", route=MEDIA_ROUTE
    )
    assert sizes[0] > 100
    assert sizes[0] == sizes[1]
    assert metrics.value("mediastream_requests_in_flight") == 0


def test_fallbacks_count_as_errors_and_carry_no_tenant(
    container: Container, metrics: MemoryMetrics
) -> None:
    with TestClient(app=make_app(container)) as client:
        response = client.get(URL.replace("a.jpg", "missing.jpg"))

    assert response.headers["x-fallback"] == "origin-not-found"
    assert requests_total(metrics, MEDIA_ROUTE, "200") == 1  # tenant label left empty
    assert metrics.value("mediastream_errors_total", kind="fallback", code="origin-not-found") == 1


def test_answers_carry_server_timing_and_the_correlation_id(container: Container) -> None:
    with TestClient(app=make_app(container)) as client:
        response = client.get(URL, headers={"X-Correlation-ID": "trace-me"})

    assert response.headers["x-correlation-id"] == "trace-me"
    timing = response.headers["server-timing"]
    phases = [entry.split(";")[0] for entry in timing.split(", ")]
    assert phases[-1] == "total"
    assert {"cache", "fetch", "transform"} <= set(phases)  # a miss: looked up, fetched, made
    assert float(timing.rsplit("total;dur=", 1)[1]) > 0


def test_one_access_line_per_request_with_route_status_duration_and_id(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="media_stream.access")
    with TestClient(app=make_app(container)) as client:
        client.get(URL, headers={"X-Correlation-ID": "line-1"})
        client.get("/health/live")

    lines = [r for r in caplog.records if r.name == "media_stream.access"]
    assert len(lines) == 2
    image, probe = lines
    assert image.levelno == logging.INFO
    assert (image.route, image.status, image.method) == (MEDIA_ROUTE, 200, "GET")  # type: ignore[attr-defined]
    assert image.durationMs > 0  # type: ignore[attr-defined]
    assert probe.levelno == logging.DEBUG  # probes are quiet at info


def test_slow_requests_are_warned_about_with_their_phase_timings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        record("fetch", 0.030)
        await asyncio.sleep(0.03)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok", "more_body": False})

    metrics = MemoryMetrics()
    watch = PerformanceWatch(limits=PerformanceLimits, clock=FixedClock(0), metrics=metrics)
    lifecycle = Lifecycle()
    observer = RequestObserver(
        metrics=metrics, lifecycle=lifecycle, watch=watch, slow_threshold_ms=lambda: 10
    )
    wrapped = HttpEdge(
        slow_app,
        admission=None,
        cors=CorsPolicy(frozenset({"*"})),
        observer=observer,
        lifecycle=lifecycle,
    )
    caplog.set_level(logging.INFO, logger="media_stream.access")

    response = asyncio.run(
        _get(wrapped, "/media_stream-image/static/images/x.png/1/1/fill/center/transparent/0/1.png")
    )

    assert response.headers["server-timing"].startswith("fetch;dur=30.0, total;dur=")
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "slow request" in warning.getMessage()
    assert warning.timings == {"fetch": 30.0}  # type: ignore[attr-defined]
    assert warning.thresholdMs == 10  # type: ignore[attr-defined]
    phases = {figure.phase: figure.samples for figure in watch.figures()}
    assert phases == {"fetch": 1, "total": 1}  # image requests feed the performance watch
    assert (
        metrics.value(
            "mediastream_http_requests_total",
            method="GET",
            route=STATIC_ROUTE,
            status="200",
            tenant="public",
        )
        == 1
    )


async def _get(app: HttpEdge, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def test_route_and_tenant_labels_stay_bounded() -> None:
    base: Scope = {"type": "http", "path": "/"}  # type: ignore[typeddict-item]

    assert (
        route_label(base, "/media_stream-image/media/acme/uploads/x/1/1/fill/c/t/0/1.png")
        == MEDIA_ROUTE
    )
    assert (
        route_label(base, "/media_stream-image/static/images/x.png/1/1/fill/c/t/0/1.png")
        == STATIC_ROUTE
    )
    assert route_label(base, "/wp-login.php") == "unmatched"
    assert tenant_label(MEDIA_ROUTE, "/media_stream-image/media/acme_2/uploads/x") == "acme_2"
    assert tenant_label(MEDIA_ROUTE, "/media_stream-image/media/Bad-Tenant/uploads/x") == ""
    assert tenant_label(STATIC_ROUTE, "/media_stream-image/static/images/x") == "public"
    assert tenant_label("/health", "/health") == ""


def test_while_draining_new_work_gets_503_json_and_probes_still_answer(
    container: Container, metrics: MemoryMetrics
) -> None:
    with TestClient(app=make_app(container)) as client:
        container.core.lifecycle().begin_drain()
        refused = client.get(URL, headers={"X-Correlation-ID": "late-1"})
        ready = client.get("/health/ready")
        live = client.get("/health/live")
        scraped = client.get("/metrics", headers={"X-Internal-Secret": SECRET})

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.headers["content-type"] == "application/json"
    body = refused.json()
    assert (body["status"], body["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert body["correlationId"] == "late-1" == refused.headers["x-correlation-id"]
    assert body["path"] == URL
    assert (ready.status_code, live.status_code, scraped.status_code) == (503, 200, 200)
    assert requests_total(metrics, MEDIA_ROUTE, "503") == 1


@pytest.mark.parametrize("path", ["/metrics", "/monitoring/performance"])
def test_secret_routes_need_the_exact_secret(container: Container, path: str) -> None:
    with TestClient(app=make_app(container)) as client:
        missing = client.get(path)
        wrong = client.get(path, headers={"X-Internal-Secret": SECRET + "x"})
        right = client.get(path, headers={"X-Internal-Secret": SECRET})

    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.json()["code"] == "UNAUTHORIZED"
    assert right.headers["cache-control"] == "no-store"


def test_secret_routes_fail_closed_without_a_configured_secret(tmp_path: Path) -> None:
    container = node(tmp_path)
    with TestClient(app=make_app(container)) as client:
        empty = client.get("/metrics", headers={"X-Internal-Secret": ""})
        anything = client.post("/admin/config/reload", headers={"X-Internal-Secret": "guess"})

    assert (empty.status_code, anything.status_code) == (401, 401)


def test_metrics_and_performance_expose_the_recorded_figures(
    container: Container, metrics: MemoryMetrics
) -> None:
    with TestClient(app=make_app(container)) as client:
        client.get(URL)
        exposition = client.get("/metrics", headers={"X-Internal-Secret": SECRET})
        performance = client.get("/monitoring/performance", headers={"X-Internal-Secret": SECRET})

    line = (
        'mediastream_http_requests_total{method="GET",route="'
        + MEDIA_ROUTE
        + '",status="200",tenant="acme"} 1.0'
    )
    assert line in exposition.text.splitlines()
    figures = performance.json()
    assert figures["phases"]["total"]["samples"] == 1
    assert figures["phases"]["total"]["p95Ms"] > 0
    assert figures["degraded"] == []
    assert figures["thresholdsMs"] == {"total": 3000}


def test_the_reload_route_answers_what_changed(
    container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "reload.env"
    env_file.write_text(f"INTERNAL_ADMIN_SECRET={SECRET}\nCACHE_IMAGE_PUBLIC_TTL=77\n")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    monkeypatch.delenv("CACHE_IMAGE_PUBLIC_TTL", raising=False)
    with TestClient(app=make_app(container)) as client:
        before = client.get(URL).headers["cache-control"]
        reloaded = client.post("/admin/config/reload", headers={"X-Internal-Secret": SECRET})
        after = client.get(URL).headers["cache-control"]

    assert reloaded.status_code == 200
    outcome = reloaded.json()
    assert "CACHE_IMAGE_PUBLIC_TTL" in outcome["applied"]
    assert "CACHE_FILE_DIRECTORY" in outcome["needsRestart"]  # tmp_path vs the default var/cache
    assert outcome["problems"] == []
    assert "max-age=31104000," in before
    assert after.startswith("public, max-age=77, s-maxage=77,")
    assert json.dumps(outcome).count(SECRET) == 0


def test_a_reloaded_allow_list_applies_to_the_next_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "allow.env"
    env_file.write_text("VALIDATION_ALLOWED_DOMAINS=cdn.example\n")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    monkeypatch.setenv("BACKEND_URL", "http://shop.example")
    monkeypatch.setenv("INTERNAL_ADMIN_SECRET", SECRET)
    origin = MemoryOriginFetcher({"media/acme/uploads/a.jpg": images.jpeg(160, 120)})
    loaded = load_settings(CACHE_FILE_DIRECTORY=tmp_path, IMAGE_WORKER_THREADS=1)
    with TestClient(app=make_app(node(origin=origin, loaded=loaded))) as client:
        refused = client.get(URL)
        env_file.write_text("VALIDATION_ALLOWED_DOMAINS=cdn.example,shop.example\n")
        reloaded = client.post("/admin/config/reload", headers={"X-Internal-Secret": SECRET})
        served = client.get(URL)

    assert (refused.status_code, refused.json()["code"]) == (400, "HOST_NOT_ALLOWED")
    assert reloaded.json()["applied"] == ["VALIDATION_ALLOWED_DOMAINS"]
    assert served.status_code == 200
    assert origin.requests == ["media/acme/uploads/a.jpg"]


def test_cache_origin_and_transform_series_follow_real_requests(
    container: Container, metrics: MemoryMetrics
) -> None:
    with TestClient(app=make_app(container)) as client:
        client.get(URL)  # miss: memory and disk miss, one fetch, one transform, two stores
        client.get(URL)  # memory hit
        client.get(URL.replace("a.jpg", "gone.jpg"))  # origin 404

    def cache(layer: str, operation: str, outcome: str) -> float:
        return metrics.value(
            "mediastream_cache_operations_total", layer=layer, operation=operation, outcome=outcome
        )

    assert cache("memory", "get", "miss") == 2
    assert cache("memory", "get", "hit") == 1
    assert cache("disk", "get", "miss") == 2
    assert cache("memory", "set", "success") == 1
    assert cache("disk", "set", "success") == 1
    assert metrics.value("mediastream_cache_hit_ratio", layer="memory") == pytest.approx(1 / 3)
    assert metrics.value("mediastream_origin_fetch_total", outcome="success") == 1
    assert metrics.value("mediastream_origin_fetch_total", outcome="origin-not-found") == 1
    assert metrics.total("mediastream_origin_fetch_bytes_total") == len(images.jpeg(160, 120))
    assert (
        metrics.value(
            "mediastream_image_processing_total", format="jpeg", outcome="success", tenant="acme"
        )
        == 1
    )
