"""Fetch originals from an HTTP origin with bounded time, bounded size and no redirects."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlsplit

import httpx

from application.errors import (
    OriginError,
    OriginNotFound,
    OriginRefused,
    OriginTimeout,
    OriginTooLarge,
    OriginUnavailable,
)
from application.ports.origin_fetcher import Original, OriginFetcher
from domain.request import ImageSource

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_USER_AGENT = "media-stream/0.1"

# RFC 3986 `pchar` minus "+": some origins (S3 among them) read "+" in a path as a space.
_SEGMENT_SAFE = "!$&'()*,;=:@"


class HttpxOriginFetcher(OriginFetcher):
    """GETs `{base_url}/{origin_path}` through one pooled `httpx.AsyncClient`.

    Every fetch is bounded: `connect_timeout` and `read_timeout` per operation, `total_timeout`
    for the whole exchange, `max_bytes` for the body (checked against Content-Length first,
    then while streaming). Errors are translated into `OriginError`s:

    - 2xx → the body, with the Content-Type it claimed;
    - 3xx → `OriginRefused`: redirects are not followed, as their target would escape the
      host allow-list;
    - a Content-Encoding other than identity (which is asked for) → `OriginRefused`;
    - other 4xx → `OriginNotFound`; 5xx → `OriginUnavailable`;
    - a timeout → `OriginTimeout`; any other transport failure → `OriginUnavailable`.

    Nothing connects until the first fetch; `close()` releases the pool.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        total_timeout: float = 10.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_connections: int = 50,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        if min(connect_timeout, read_timeout, total_timeout) <= 0 or max_bytes < 1:
            raise ValueError("timeouts and max_bytes must be positive")
        self._base_url = base_url.rstrip("/")
        self._host = parts.hostname.lower()
        self._total_timeout = total_timeout
        self._max_bytes = max_bytes
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=read_timeout, pool=total_timeout
            ),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            follow_redirects=False,
            # Proxies and certificates come from the arguments, never from the environment.
            trust_env=False,
        )

    @property
    def host(self) -> str:
        return self._host

    async def fetch(self, source: ImageSource) -> Original:
        url = self._url_for(source.origin_path)
        try:
            async with asyncio.timeout(self._total_timeout):
                return await self._get(url, source.origin_path)
        except TimeoutError as exc:
            raise OriginTimeout(f"no answer for {source.origin_path} in time") from exc
        except httpx.TimeoutException as exc:
            raise OriginTimeout(f"{type(exc).__name__} for {source.origin_path}") from exc
        except httpx.RequestError as exc:
            raise OriginUnavailable(f"{type(exc).__name__} for {source.origin_path}") from exc

    async def close(self) -> None:
        await self._client.aclose()

    def _url_for(self, origin_path: str) -> str:
        # Each segment percent-encoded as UTF-8, so spaces and non-ASCII names are valid URLs.
        segments = (quote(segment, safe=_SEGMENT_SAFE) for segment in origin_path.split("/"))
        return f"{self._base_url}/{'/'.join(segments)}"

    async def _get(self, url: str, origin_path: str) -> Original:
        async with self._client.stream("GET", url) as response:
            _check_status(response.status_code, origin_path)
            self._check_headers(response.headers, origin_path)
            data = await self._read_capped(response, origin_path)
            return Original(data, response.headers.get("content-type", ""))

    def _check_headers(self, headers: httpx.Headers, origin_path: str) -> None:
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in {"", "identity"}:
            raise OriginRefused(f"{origin_path} came with Content-Encoding {encoding}")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise OriginTooLarge(f"{origin_path} declares {declared} bytes")

    async def _read_capped(self, response: httpx.Response, origin_path: str) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > self._max_bytes:
                raise OriginTooLarge(f"{origin_path} has more than {self._max_bytes} bytes")
        return bytes(body)


def _check_status(status: int, origin_path: str) -> None:
    if 200 <= status < 300:
        return
    error = _STATUS_ERRORS.get(status // 100, OriginUnavailable)
    raise error(f"origin answered {status} for {origin_path}")


_STATUS_ERRORS: dict[int, type[OriginError]] = {
    3: OriginRefused,
    4: OriginNotFound,
    5: OriginUnavailable,
}
