"""`GET /health`: every indicator, with its details whether the node is healthy or not."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.datastructures import State

from entrypoints.cache_reports import health_report
from entrypoints.container import Container


@get("/health", name="health")
async def health(request: Request[object, object, State]) -> Response[dict[str, object]]:
    """200 when every indicator is up (or disabled), else 503; the details in both cases.

    Redis down makes this 503 while `/health/ready` stays 200: the node still serves.
    """
    container: Container = request.app.state.container
    healthy, report = await health_report(container)
    return Response(
        report, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"}
    )
