"""Administrative routes, guarded by `X-Internal-Secret`."""

from __future__ import annotations

import json

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.di import NamedDependency

from application.flush_tenant import FlushTenant
from domain.errors import InvalidRequest
from domain.tenant import checked_tenant
from entrypoints.cache_reports import flush_report
from entrypoints.http.errors import NO_STORE_NOSNIFF
from entrypoints.http.operations import require_internal_secret
from entrypoints.settings import LiveSettings


@post("/admin/cache/flush-tenant", name="flush_tenant", status_code=200)
async def flush_tenant(
    request: Request[object, object, State],
    flush: NamedDependency[FlushTenant],
    live_settings: NamedDependency[LiveSettings],
) -> Response[dict[str, object]]:
    """Drop a tenant's results from every layer of every node: `{"tenantSchema": "acme"}`.

    200 with the counts when every part was reached; 503 with the same body when some part
    (Redis, the broadcast) could not be, so the caller knows to try again.
    """
    require_internal_secret(request, live_settings)
    tenant = _tenant_of(await request.body())
    outcome = await flush(tenant)
    return Response(
        flush_report(outcome),
        status_code=200 if outcome.complete else 503,
        headers=NO_STORE_NOSNIFF,
    )


def _tenant_of(body: bytes) -> str:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise InvalidRequest('the body must be JSON like {"tenantSchema": "acme"}') from exc
    if not isinstance(document, dict) or "tenantSchema" not in document:
        raise InvalidRequest('the body must be JSON like {"tenantSchema": "acme"}')
    return checked_tenant(document["tenantSchema"])
