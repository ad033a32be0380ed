"""The breaker and origin health routes, through the app the container builds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.memory import MemoryTenantDomainSource
from adapters.memory.metrics import MemoryMetrics
from application.origin_circuits import OriginCircuits
from domain.breaker import Outcome
from entrypoints.composition import Container
from entrypoints.http.app import make_litestar
from entrypoints.http.internal_auth import internal_secret_matches
from tests.support.node import node
from tests.support.server import free_port

SECRET = "correct horse battery staple"
ORIGIN = "shop.example:443"


def container_for(tmp_path: Path, **settings: Any) -> Container:
    return node(tmp_path, **settings)


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return container_for(
        tmp_path,
        INTERNAL_ADMIN_SECRET=SECRET,
        HTTP_CIRCUIT_BREAKER_MIN_REQUESTS=2,
        HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT=60_000,
    )


@pytest.fixture
def client(container: Container) -> Iterator[TestClient[Any]]:
    with TestClient(app=make_litestar(container)) as test_client:
        yield test_client


def trip(circuits: OriginCircuits, origin: str = ORIGIN) -> None:
    for _ in range(2):
        permit = circuits.acquire(origin)
        assert permit is not None
        circuits.record(origin, permit, Outcome.FAILURE)


def test_the_breaker_report_starts_closed_and_shows_the_policy(client: TestClient[Any]) -> None:
    response = client.get("/health/circuit-breaker")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["state"], body["origins"], body["scope"]) == ("closed", {}, "process")
    assert body["policy"] == {
        "monitoringPeriodMs": 60_000,
        "minimumRequests": 2,
        "failureThresholdPercent": 50,
        "resetTimeoutMs": 60_000,
        "halfOpenRequests": 3,
    }
    assert body["tenantDomains"]["enabled"] is False


def test_an_open_breaker_shows_with_its_origin(
    client: TestClient[Any], container: Container
) -> None:
    trip(container.origin.circuits())

    body = client.get("/health/circuit-breaker").json()

    assert body["state"] == "open"
    origin = body["origins"][ORIGIN]
    assert (origin["state"], origin["requests"], origin["failures"]) == ("open", 0, 0)
    assert origin["openedAt"].endswith("Z")
    assert origin["retryAt"] > origin["openedAt"]


@pytest.mark.parametrize(
    "headers", [{}, {"X-Internal-Secret": "wrong"}, {"X-Internal-Secret": SECRET + " "}]
)
def test_reset_without_the_secret_is_401_and_changes_nothing(
    client: TestClient[Any], container: Container, headers: dict[str, str]
) -> None:
    trip(container.origin.circuits())

    response = client.post("/health/circuit-breaker/reset", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert client.get("/health/circuit-breaker").json()["state"] == "open"


def test_reset_with_the_secret_closes_every_breaker(
    client: TestClient[Any], container: Container
) -> None:
    trip(container.origin.circuits())

    response = client.post("/health/circuit-breaker/reset", headers={"X-Internal-Secret": SECRET})

    assert response.status_code == 200
    assert response.json() == {"state": "closed", "reset": [ORIGIN], "scope": "process"}
    assert client.get("/health/circuit-breaker").json()["origins"][ORIGIN]["state"] == "closed"


def test_reset_is_closed_when_no_secret_is_configured(tmp_path: Path) -> None:
    container = container_for(tmp_path, HTTP_CIRCUIT_BREAKER_MIN_REQUESTS=2)
    trip(container.origin.circuits())
    with TestClient(app=make_litestar(container)) as client:
        response = client.post("/health/circuit-breaker/reset", headers={"X-Internal-Secret": ""})
        still = client.get("/health/circuit-breaker").json()["state"]

    assert response.status_code == 401
    assert "INTERNAL_ADMIN_SECRET" in response.json()["message"]
    assert still == "open"


def test_origin_health_is_503_while_a_breaker_is_open(
    client: TestClient[Any], container: Container
) -> None:
    assert client.get("/health/origin").status_code == 200
    trip(container.origin.circuits())

    response = client.get("/health/origin")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["circuitBreaker"], body["openOrigins"]) == (
        "degraded",
        "open",
        [ORIGIN],
    )


def test_tenant_domains_never_refreshed_show_in_origin_health(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/internal/domains"
    container = container_for(
        tmp_path, TENANT_DOMAINS_REFRESH_URL=unreachable, TENANT_DOMAINS_REFRESH_INTERVAL_MS=100
    )
    with TestClient(app=make_litestar(container)) as client:
        body = wait_for(client, lambda b: b["tenantDomains"]["consecutiveFailures"] > 0)
        status = client.get("/health/origin").status_code

    assert status == 503
    tenants = body["tenantDomains"]
    assert (tenants["enabled"], tenants["neverRefreshed"], tenants["domains"]) == (True, True, 0)
    assert "ConnectError" in tenants["lastError"]


def test_tenant_domains_are_refreshed_in_the_background(tmp_path: Path) -> None:
    container = container_for(
        tmp_path,
        TENANT_DOMAINS_REFRESH_URL="http://backend.invalid/domains",
        TENANT_DOMAINS_REFRESH_INTERVAL_MS=100,
    )
    source = MemoryTenantDomainSource(["a.tenant.test", "b.tenant.test"])
    with container.origin.built_tenant_domain_source.override(providers.Object(source)):
        with TestClient(app=make_litestar(container)) as client:
            body = wait_for(client, lambda b: not b["tenantDomains"]["neverRefreshed"])
            assert client.get("/health/origin").status_code == 200
            time.sleep(0.25)
        fetches = source.fetches

    assert body["tenantDomains"]["domains"] == 2
    assert fetches >= 2  # refreshed again after the interval
    assert container.origin.hosts().permits("img.a.tenant.test")
    assert source.closed


def wait_for(client: TestClient[Any], ready: Any, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get("/health/origin").json()
        if ready(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("configured", "offered", "matches"),
    [
        ("s3cret", "s3cret", True),
        ("s3cret", "S3CRET", False),
        ("s3cret", "s3cre", False),
        ("s3cret", None, False),
        ("", "", False),
        ("", None, False),
        ("ünï", "ünï", True),
    ],
)
def test_internal_secret_matches(configured: str, offered: str | None, matches: bool) -> None:
    assert internal_secret_matches(configured, offered) is matches


def test_an_open_breaker_makes_health_503_naming_it_and_is_counted(
    container: Container, tmp_path: Path
) -> None:
    metrics = MemoryMetrics()
    with container.core.metrics.override(providers.Object(metrics)):
        circuits = container.origin.circuits()
        with TestClient(app=make_litestar(container)) as client:
            trip(circuits)
            health = client.get("/health")
            ready = client.get("/health/ready")

    assert health.status_code == 503
    assert health.json()["checks"]["breaker"] == {"status": "down", "details": {ORIGIN: "open"}}
    assert ready.status_code == 200
    assert metrics.value("mediastream_circuit_breaker_state", origin=ORIGIN) == 2
    assert (
        metrics.value("mediastream_circuit_breaker_transitions_total", origin=ORIGIN, state="open")
        == 1
    )
