"""Operator routes of the origin guards: breaker state and reset, tenant-domain freshness.

`GET /health/circuit-breaker`       the breaker of every origin this process talked to
`POST /health/circuit-breaker/reset` close them all (`X-Internal-Secret`)
`GET /health/origin`                breakers summed up, and whether tenant domains are current

State is per process: these routes report and reset the process that answers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency

from application.origin_circuits import OriginCircuits
from application.tenant_domains import RefreshTenantDomains, TenantDomains, TenantDomainsStatus
from domain.breaker import BreakerSnapshot, BreakerState
from entrypoints.composition import Container
from entrypoints.http.errors import NO_STORE
from entrypoints.http.operations import require_internal_secret
from entrypoints.settings import LiveSettings

log = logging.getLogger(__name__)

_WORST_FIRST = (BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED)


def install_origin_guards(app: Litestar, container: Container) -> None:
    """Keep the tenant domains refreshed in the background while `app` runs."""
    settings = container.settings()
    if not settings.tenant_domains_url:
        return
    loop = TenantDomainLoop(
        container.origin.refresh_tenant_domains,
        settings.TENANT_DOMAINS_REFRESH_INTERVAL_MS / 1000,
    )
    app.on_startup.append(loop.start)
    app.on_shutdown.append(loop.stop)  # shutdown hooks run last-added first


class TenantDomainLoop:
    """Refreshes the tenant domains in the background while the app runs (the use case is
    taken from the container once it is open)."""

    def __init__(self, refresh: Callable[[], RefreshTenantDomains | None], interval: float) -> None:
        self._refresh = refresh
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        refresh = self._refresh()
        if refresh is None:
            return
        self._task = asyncio.create_task(refresh.run_forever(self._interval), name="tenant-domains")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@get("/health/circuit-breaker", name="circuit_breaker")
async def circuit_breaker(
    circuits: NamedDependency[OriginCircuits], tenant_domains: NamedDependency[TenantDomains]
) -> Response[dict[str, object]]:
    """Every origin breaker of this process, and the policy they follow."""
    snapshots = circuits.snapshots()
    policy = circuits.policy
    body: dict[str, object] = {
        "state": _worst(snapshots).value,
        "origins": {origin: _snapshot_json(s) for origin, s in snapshots.items()},
        "policy": {
            "monitoringPeriodMs": round(policy.window * 1000),
            "minimumRequests": policy.minimum_requests,
            "failureThresholdPercent": policy.failure_percentage,
            "resetTimeoutMs": round(policy.open_for * 1000),
            "halfOpenRequests": policy.half_open_probes,
        },
        "tenantDomains": _tenant_json(tenant_domains),
        "scope": "process",
    }
    return Response(body, headers=NO_STORE)


@post("/health/circuit-breaker/reset", name="circuit_breaker_reset", status_code=200)
async def reset_circuit_breaker(
    request: Request[object, object, State],
    circuits: NamedDependency[OriginCircuits],
    live_settings: NamedDependency[LiveSettings],
) -> Response[dict[str, object]]:
    """Close every breaker of this process (`X-Internal-Secret`)."""
    require_internal_secret(request, live_settings)
    reset = circuits.reset()
    log.warning("circuit breakers closed by an operator: %s", ", ".join(reset) or "none open")
    return Response({"state": "closed", "reset": reset, "scope": "process"}, headers=NO_STORE)


@get("/health/origin", name="origin_health")
async def origin_health(
    circuits: NamedDependency[OriginCircuits], tenant_domains: NamedDependency[TenantDomains]
) -> Response[dict[str, object]]:
    """200 when no breaker is open and the tenant domains (if configured) were refreshed at
    least once; 503 otherwise, with the same details."""
    tenants = tenant_domains
    snapshots = circuits.snapshots()
    worst = _worst(snapshots)
    tenant_status = tenants.status()
    healthy = worst is not BreakerState.OPEN and not (
        tenant_status.enabled and tenant_status.never_refreshed
    )
    body: dict[str, object] = {
        "status": "ok" if healthy else "degraded",
        "circuitBreaker": worst.value,
        "openOrigins": [o for o, s in snapshots.items() if s.state is BreakerState.OPEN],
        "tenantDomains": _tenant_json(tenants),
    }
    return Response(body, status_code=200 if healthy else 503, headers=NO_STORE)


ORIGIN_GUARD_ROUTES = [circuit_breaker, reset_circuit_breaker, origin_health]


def _worst(snapshots: dict[str, BreakerSnapshot]) -> BreakerState:
    states = {snapshot.state for snapshot in snapshots.values()}
    return next((state for state in _WORST_FIRST if state in states), BreakerState.CLOSED)


def _snapshot_json(snapshot: BreakerSnapshot) -> dict[str, object]:
    return {
        "state": snapshot.state.value,
        "requests": snapshot.requests,
        "failures": snapshot.failures,
        "openedAt": _iso(snapshot.opened_at),
        "retryAt": _iso(snapshot.retry_at),
        "probesInFlight": snapshot.probes_in_flight,
    }


def _tenant_json(tenants: TenantDomains) -> dict[str, object]:
    status: TenantDomainsStatus = tenants.status()
    return {
        "enabled": status.enabled,
        "neverRefreshed": status.never_refreshed,
        "domains": status.domains,
        "refreshedAt": _iso(status.refreshed_at),
        "attemptedAt": _iso(status.attempted_at),
        "consecutiveFailures": status.consecutive_failures,
        "lastError": status.last_error,
    }


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")
