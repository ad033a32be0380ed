"""The tenants' domains, fetched from the shop's backend over HTTP."""

from __future__ import annotations

import json

import httpx

from application.errors import TenantDomainsUnavailable
from application.ports.tenant_domain_source import TenantDomainSource

MAX_BODY_BYTES = 4 * 1024 * 1024


class HttpxTenantDomainSource(TenantDomainSource):
    """GETs `url` with `X-Internal-Token: <token>` and reads a JSON list of domains.

    The body is either a JSON array of strings or an object with such an array under
    `"domains"`. Anything else (a non-2xx status, a redirect, a timeout, a body over
    `MAX_BODY_BYTES`, invalid JSON, a non-string entry) raises `TenantDomainsUnavailable`.
    The URL is the operator's own configuration, so it is not subject to the origin allow-list;
    redirects are not followed and proxies are not taken from the environment.
    """

    def __init__(self, url: str, token: str, *, timeout: float = 5.0) -> None:
        self._url = url
        self._client = httpx.AsyncClient(
            headers={"X-Internal-Token": token, "Accept": "application/json"},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )

    async def fetch(self) -> tuple[str, ...]:
        try:
            body = await self._get()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise TenantDomainsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return _domains_in(body)

    async def close(self) -> None:
        await self._client.aclose()

    async def _get(self) -> bytes:
        async with self._client.stream("GET", self._url) as response:
            if response.status_code != 200:
                raise TenantDomainsUnavailable(f"the domain list answered {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise TenantDomainsUnavailable("the domain list is too large")
            return bytes(body)


def _domains_in(body: bytes) -> tuple[str, ...]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise TenantDomainsUnavailable("the domain list is not JSON") from exc
    if isinstance(document, dict):
        document = document.get("domains")
    if not isinstance(document, list) or not all(isinstance(d, str) for d in document):
        raise TenantDomainsUnavailable("expected a JSON array of domain names")
    return tuple(document)
