"""Routes for operators: health with details, metrics, performance figures, config reload."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Protocol

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from application.health import CheckHealth, HealthSummary
from application.performance import PerformanceWatch
from application.ports.health import HealthStatus
from application.ports.metrics import ResourceSample
from application.resources import ResourceSampler
from domain.network import is_internal_address
from entrypoints.http.errors import NO_STORE
from entrypoints.http.internal_auth import internal_secret_matches
from entrypoints.settings import LiveSettings

SECRET_HEADER = "x-internal-secret"  # noqa: S105 (a header name, not a secret)
DISTRIBUTIONS = ("media-stream", "litestar", "uvicorn", "pillow", "httpx", "prometheus-client")


class Exposable(Protocol):
    """A metrics store that can render itself in the Prometheus text format."""

    def exposition(self) -> tuple[bytes, str]: ...


@dataclass(frozen=True, slots=True)
class OperationsState:
    """What the operator routes read (their `operations` dependency)."""

    check_health: CheckHealth
    live_settings: LiveSettings
    watch: PerformanceWatch
    sampler: ResourceSampler
    metrics: Exposable


def versions() -> dict[str, str]:
    """Versions of Python and of the distributions that matter when debugging a node."""
    found = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found


def require_internal_secret(request: Request[object, object, State], live: LiveSettings) -> None:
    """401 unless `X-Internal-Secret` equals INTERNAL_ADMIN_SECRET (unset: always 401)."""
    secret = live.current.INTERNAL_ADMIN_SECRET
    if not secret:
        raise NotAuthorizedException(
            "INTERNAL_ADMIN_SECRET is not set on this node: operator routes are closed"
        )
    if not internal_secret_matches(secret, request.headers.get(SECRET_HEADER)):
        raise NotAuthorizedException("a valid X-Internal-Secret header is required")


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _health_body(summary: HealthSummary) -> dict[str, object]:
    return {
        "status": summary.status.value,
        "timestamp": _timestamp(),
        "checks": {
            name: {"status": report.status.value, "details": dict(report.details)}
            for name, report in summary.checks.items()
        },
    }


def _health_response(body: Mapping[str, object], summary: HealthSummary) -> Response[object]:
    status = 503 if summary.status is HealthStatus.DOWN else 200
    return Response(dict(body), status_code=status, headers=NO_STORE)


async def _every_indicator(operations: NamedDependency[OperationsState]) -> Response[object]:
    summary = await operations.check_health()
    return _health_response(_health_body(summary), summary)


@get("/health", name="health")
async def health(operations: NamedDependency[OperationsState]) -> Response[object]:
    """Every indicator with its details; 503 when any is down (details included)."""
    return await _every_indicator(operations)


@get("/health/dependencies", name="health_dependencies")
async def health_dependencies(operations: NamedDependency[OperationsState]) -> Response[object]:
    """The same as `/health`: every dependency's indicator, 503 when any is down."""
    return await _every_indicator(operations)


@get("/health/detailed", name="health_detailed")
async def health_detailed(
    request: Request[object, object, State], operations: NamedDependency[OperationsState]
) -> Response[object]:
    """`/health` plus resources, versions and uptime; internal addresses only (else 403)."""
    client = request.client.host if request.client else None
    if not is_internal_address(client):
        raise PermissionDeniedException("only internal addresses may see detailed health")
    summary = await operations.check_health()
    sample = operations.sampler.latest
    body = _health_body(summary)
    body["uptimeSeconds"] = round(operations.sampler.uptime_seconds, 3)
    body["pid"] = os.getpid()
    body["versions"] = versions()
    body["resources"] = _resources(sample) if sample is not None else None
    return _health_response(body, summary)


@get("/metrics", name="metrics", media_type="text/plain")
async def metrics(
    request: Request[object, object, State], operations: NamedDependency[OperationsState]
) -> Response[bytes]:
    """The Prometheus text exposition; needs `X-Internal-Secret`."""
    require_internal_secret(request, operations.live_settings)
    body, content_type = operations.metrics.exposition()
    return Response(body, media_type=content_type, headers=NO_STORE)


@get("/monitoring/performance", name="performance")
async def performance(
    request: Request[object, object, State], operations: NamedDependency[OperationsState]
) -> Response[object]:
    """Rolling p50/p95/p99 per phase, baselines and alerts; needs `X-Internal-Secret`."""
    require_internal_secret(request, operations.live_settings)
    settings = operations.live_settings.current
    phases = {
        figure.phase: {
            "samples": figure.samples,
            "p50Ms": _ms(figure.p50),
            "p95Ms": _ms(figure.p95),
            "p99Ms": _ms(figure.p99),
            "baselineP95Ms": _ms(figure.baseline_p95),
            "limitMs": _ms(figure.limit),
            "degraded": figure.degraded,
        }
        for figure in operations.watch.figures()
    }
    body = {
        "timestamp": _timestamp(),
        "windowSeconds": settings.PERFORMANCE_WINDOW,
        "minSamples": settings.PERFORMANCE_MIN_SAMPLES,
        "degradationFactor": settings.PERFORMANCE_DEGRADATION_FACTOR,
        "thresholdsMs": dict(settings.PERFORMANCE_THRESHOLDS_MS),
        "degraded": operations.watch.degraded,
        "phases": phases,
    }
    return Response(body, headers=NO_STORE)


@post("/admin/config/reload", name="config_reload", status_code=200)
async def config_reload(
    request: Request[object, object, State], operations: NamedDependency[OperationsState]
) -> Response[object]:
    """Reload the settings (as SIGHUP does) and answer what was applied; needs the secret."""
    require_internal_secret(request, operations.live_settings)
    outcome = operations.live_settings.reload()
    return Response(outcome.as_dict(), headers=NO_STORE)


def _resources(sample: ResourceSample) -> dict[str, object]:
    return {
        "rssBytes": sample.rss_bytes,
        "virtualBytes": sample.virtual_bytes,
        "memoryLimitBytes": sample.memory_limit_bytes,
        "cpuPercent": round(sample.cpu_percent, 2),
        "threads": sample.threads,
        "diskTotalBytes": sample.disk_total_bytes,
        "diskUsedBytes": sample.disk_used_bytes,
        "diskFreeBytes": sample.disk_free_bytes,
        "eventLoopLagSeconds": round(sample.loop_lag_seconds, 6),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


OPERATIONS_ROUTES = [
    health,
    health_dependencies,
    health_detailed,
    metrics,
    performance,
    config_reload,
]
