"""Health of the upstream URLs the operator names (`HTTP_HEALTH_CHECK_URLS`)."""

from __future__ import annotations

import asyncio
import time

import httpx

from application.ports.health import HealthIndicator, HealthReport, HealthStatus


class HttpxProbeIndicator(HealthIndicator):
    """`upstream`: GETs every URL at each check, within `timeout` seconds each.

    `up` when every URL answered 2xx, else `down`, with each URL's status or error and time.
    The URLs are the operator's own configuration, so the origin allow-list does not apply;
    redirects are not followed, proxies are not taken from the environment, no body is read.
    """

    def __init__(self, urls: tuple[str, ...], *, timeout: float) -> None:
        self._urls = urls
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "upstream"

    async def check(self) -> HealthReport:
        async with httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, trust_env=False
        ) as client:
            checks = await asyncio.gather(*(_probe(client, url) for url in self._urls))
        healthy = all(check["success"] for check in checks)
        status = HealthStatus.UP if healthy else HealthStatus.DOWN
        return HealthReport(status, {"checks": list(checks)})


async def _probe(client: httpx.AsyncClient, url: str) -> dict[str, object]:
    started = time.perf_counter()
    try:
        async with client.stream("GET", url) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        return {"url": url, "success": False, "error": f"{type(exc).__name__}: {exc}"}
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    return {"url": url, "success": 200 <= status < 300, "status": status, "ms": elapsed}
