"""Health of the upstream URLs the operator names (`HTTP_HEALTH_CHECK_URLS`)."""

from __future__ import annotations

import asyncio

import httpx

from application.ports.health import HealthIndicator, HealthReport, HealthStatus


class HttpxProbeIndicator(HealthIndicator):
    """`upstream`: GETs every URL at each check, within `timeout` seconds each.

    `up` when every URL answered 2xx, else `down`; the details give each URL's status code
    (or its error) and how many failed.
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
            answers = await asyncio.gather(*(_probe(client, url) for url in self._urls))
        failing = sum(not (isinstance(answer, int) and 200 <= answer < 300) for answer in answers)
        details: dict[str, str | int | float | None] = dict(zip(self._urls, answers, strict=True))
        details["failing"] = failing
        return HealthReport(HealthStatus.DOWN if failing else HealthStatus.UP, details)


async def _probe(client: httpx.AsyncClient, url: str) -> int | str:
    """The status code `url` answers, or what went wrong."""
    try:
        async with client.stream("GET", url) as response:
            return response.status_code
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
