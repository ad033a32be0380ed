"""Fetch originals from an HTTP origin: bounded in time and size, retried, guarded, broken-off.

One `HttpxOriginFetcher` per process holds one pooled httpx transport. A fetch is:

    for each hop (the URL, then at most 3 redirects):
        check the hop's URL            scheme, no credentials, no https→http, host allowed
        ask the hop's circuit breaker  open → CircuitOpen, the origin is not asked
        attempt, retrying on           connection errors, timeouts, 408, 429, 500, 502, 503,
                                       504 (backoff with full jitter, or Retry-After); no other
        record the outcome             only network errors, timeouts and 5xx count as failures

all within one overall deadline. Requests go straight to the transport, not through an
`httpx.AsyncClient`: the client's redirect, cookie and URL-merging machinery (which parsed every
answer's headers into a cookie jar) is work a fetch that follows its own redirects and keeps no
cookies does not need, and it was a tenth of the server's CPU per miss (docs/performance.md).
Connections are opened by `GuardedNetworkBackend`, which checks the address actually connected
to. Bodies are read by `read_original` (format sniffed,
per-format caps). httpx errors become the port's errors here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from adapters.httpx.body import read_original
from adapters.httpx.guarded_network import AddressRefused, GuardedNetworkBackend, GuardedTransport
from adapters.httpx.resolver import SystemHostResolver
from application.correlation import current_correlation_id
from application.errors import (
    CircuitOpen,
    OriginError,
    OriginNotFound,
    OriginRefused,
    OriginTimeout,
    OriginUnavailable,
)
from application.origin_circuits import OriginCircuits
from application.origin_hosts import OriginHosts
from application.ports.host_resolver import HostResolver
from application.ports.origin_fetcher import Original, OriginFetcher
from domain.addresses import canonical_host
from domain.breaker import Outcome, Permit
from domain.errors import AmbiguousHost
from domain.originals import SourceByteCaps
from domain.policy import HostAllowList
from domain.request import ImageSource
from domain.retry import RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "media-stream/0.1"
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 3986 `pchar` minus "+": some origins (S3 among them) read "+" in a path as a space.
_SEGMENT_SAFE = "!$&'()*,;=:@"


@dataclass(frozen=True, slots=True)
class OriginTimeouts:
    """Seconds: to connect, between two reads, to wait for a pooled connection, in all (the
    deadline of one fetch, retries and redirects included), for one attempt (None: only the
    others bound it), and how long an idle pooled connection is kept."""

    connect: float = 3.0
    read: float = 5.0
    pool: float = 1.0
    total: float = 10.0
    attempt: float | None = None
    keep_alive: float = 5.0

    def __post_init__(self) -> None:
        bounds = (self.connect, self.read, self.pool, self.total, self.attempt or 1.0)
        if min(bounds) <= 0 or self.keep_alive < 0:
            raise ValueError("timeouts must be positive")


class HttpxOriginFetcher(OriginFetcher):
    """GETs `{base_url}/{origin_path}` through one pooled httpx transport.

    Answers, after retries, become port errors:

    - 2xx → the body (`OriginTooLarge` over its cap, `OriginNotAnImage` when its first bytes
      are no image, `OriginRefused` for a compressed Content-Encoding: identity is asked for,
      and an image gains nothing from gzip);
    - 301/302/303/307/308 → followed to an allowed host, at most `MAX_REDIRECTS` times,
      else `OriginRefused`; other 3xx → `OriginRefused`;
    - 408 → `OriginTimeout`, 429 and 5xx → `OriginUnavailable`, other 4xx → `OriginNotFound`;
    - a timeout or the overall deadline → `OriginTimeout`; another transport failure
      → `OriginUnavailable`; an address the policy forbids → `OriginRefused`;
    - an open breaker → `CircuitOpen`.

    `hosts` defaults to the base URL's host alone (named explicitly); `circuits` None means no
    breaker; `jitter` draws the random part of each backoff. Nothing connects until the first
    fetch; `close()` releases the pool.
    """

    def __init__(
        self,
        base_url: str,
        *,
        hosts: OriginHosts | None = None,
        resolver: HostResolver | None = None,
        circuits: OriginCircuits | None = None,
        retry: RetryPolicy | None = None,
        caps: SourceByteCaps | None = None,
        timeouts: OriginTimeouts | None = None,
        max_connections: int = 50,
        user_agent: str = DEFAULT_USER_AGENT,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        self._base_url = base_url.rstrip("/")
        self._host = parts.hostname.lower()
        self._hosts = hosts or OriginHosts(HostAllowList.of([self._host]))
        self._circuits = circuits
        self._retry = retry or RetryPolicy()
        self._caps = caps or SourceByteCaps()
        self._timeouts = timeouts or OriginTimeouts()
        self._jitter = jitter
        backend = GuardedNetworkBackend(self._hosts, resolver or SystemHostResolver())
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=self._timeouts.keep_alive,
        )
        # Proxies and certificates come from the arguments, never from the environment.
        self._transport = GuardedTransport(backend, limits=limits)
        self._headers = {"User-Agent": user_agent, "Accept-Encoding": "identity"}
        self._timeout = httpx.Timeout(
            connect=self._timeouts.connect,
            read=self._timeouts.read,
            write=self._timeouts.read,
            pool=self._timeouts.pool,
        ).as_dict()

    async def fetch(self, source: ImageSource) -> Original:
        deadline = asyncio.get_running_loop().time() + self._timeouts.total
        url = httpx.URL(self._url_for(source.origin_path))
        previous: httpx.URL | None = None
        for _ in range(MAX_REDIRECTS + 1):
            self._check_hop(url, previous)
            answer = await self._exchange(url, deadline)
            if isinstance(answer, Original):
                return answer
            previous, url = url, answer
        raise OriginRefused(f"more than {MAX_REDIRECTS} redirects for {source.origin_path}")

    async def close(self) -> None:
        await self._transport.aclose()

    def _url_for(self, origin_path: str) -> str:
        # Each segment percent-encoded as UTF-8, so spaces and non-ASCII names are valid URLs.
        segments = (quote(segment, safe=_SEGMENT_SAFE) for segment in origin_path.split("/"))
        return f"{self._base_url}/{'/'.join(segments)}"

    def _check_hop(self, url: httpx.URL, previous: httpx.URL | None) -> None:
        """Refuse a hop to a URL the policy does not allow (every redirect is checked anew)."""
        problem = _hop_problem(url, previous, self._hosts)
        if problem is not None:
            log.warning("origin fetch refused: %s (%s)", problem, url)
            raise OriginRefused(problem)

    async def _exchange(self, url: httpx.URL, deadline: float) -> Original | httpx.URL:
        """One hop through its origin's breaker: the original, or where it redirects to."""
        origin = _origin_of(url)
        permit = self._admit(origin)
        outcome = Outcome.NEUTRAL
        try:
            async with asyncio.timeout_at(deadline):
                answer = await self._with_retries(url, deadline)
            outcome = Outcome.SUCCESS
            return answer
        except _Failed as failed:
            outcome = failed.outcome
            raise failed.error from failed.error.__cause__
        except TimeoutError as exc:
            outcome = Outcome.FAILURE
            raise OriginTimeout(f"no answer from {origin} within the deadline") from exc
        finally:
            if self._circuits is not None and permit is not None:
                self._circuits.record(origin, permit, outcome)

    def _admit(self, origin: str) -> Permit | None:
        if self._circuits is None:
            return None
        permit = self._circuits.acquire(origin)
        if permit is None:
            raise CircuitOpen(f"the circuit of {origin} is open")
        return permit

    async def _with_retries(self, url: httpx.URL, deadline: float) -> Original | httpx.URL:
        retry = 0
        while True:
            try:
                return await self._attempt_in_time(url)
            except _Failed as failed:
                delay = self._retry_delay(failed, retry, deadline)
                if delay is None:
                    raise
                log.info("retry %d of %s in %.3f s: %s", retry + 1, url, delay, failed.error)
            await asyncio.sleep(delay)
            retry += 1

    def _retry_delay(self, failed: _Failed, retry: int, deadline: float) -> float | None:
        """The sleep before the next attempt, or None when there is none (or no time for it)."""
        if not failed.retryable:
            return None
        delay = self._retry.delay(retry, self._jitter(), failed.retry_after)
        if delay is None or asyncio.get_running_loop().time() + delay >= deadline:
            return None
        return delay

    async def _attempt_in_time(self, url: httpx.URL) -> Original | httpx.URL:
        """One attempt, within `timeouts.attempt` when set (then a retryable timeout)."""
        if self._timeouts.attempt is None:
            return await self._attempt(url)
        scope = asyncio.timeout(self._timeouts.attempt)
        try:
            async with scope:
                return await self._attempt(url)
        except TimeoutError as exc:
            if not scope.expired():
                raise
            timeout = OriginTimeout(f"no answer within {self._timeouts.attempt:g} s for {url.path}")
            raise _failed(timeout, exc, Outcome.FAILURE, retryable=True) from exc

    async def _attempt(self, url: httpx.URL) -> Original | httpx.URL:
        try:
            request = httpx.Request(
                "GET", url, headers=self._headers | _traced(), extensions={"timeout": self._timeout}
            )
            response = await self._transport.handle_async_request(request)
            try:
                return await self._answer(response, url)
            finally:
                await response.aclose()
        except AddressRefused as exc:
            raise _failed(OriginRefused(str(exc)), exc, Outcome.NEUTRAL) from exc
        except httpx.PoolTimeout as exc:  # our own pool is full: not the origin's failure
            raise _failed(OriginTimeout("no free connection"), exc, Outcome.NEUTRAL) from exc
        except httpx.TimeoutException as exc:
            timeout = OriginTimeout(f"{type(exc).__name__} for {url.path}")
            raise _failed(timeout, exc, Outcome.FAILURE, retryable=True) from exc
        except httpx.UnsupportedProtocol as exc:
            raise _failed(OriginRefused(str(exc)), exc, Outcome.NEUTRAL) from exc
        except httpx.TransportError as exc:
            unavailable = OriginUnavailable(f"{type(exc).__name__} for {url.path}")
            raise _failed(unavailable, exc, Outcome.FAILURE, retryable=True) from exc

    async def _answer(self, response: httpx.Response, url: httpx.URL) -> Original | httpx.URL:
        status = response.status_code
        if 200 <= status < 300:
            return await self._original(response, url)
        location = response.headers.get("location")
        if status in REDIRECT_STATUSES and location:
            try:
                return url.join(location)
            except httpx.InvalidURL as exc:
                raise _failed(OriginRefused("invalid redirect"), exc, Outcome.SUCCESS) from exc
        error = _STATUS_ERRORS.get(status, _ERRORS_BY_CLASS.get(status // 100, OriginUnavailable))
        raise _failed(
            error(f"origin answered {status} for {url.path}"),
            None,
            Outcome.of_status(status),
            retryable=RetryPolicy.retries_status(status),
            retry_after=parse_retry_after(response.headers.get("retry-after", ""), time.time()),
        )

    async def _original(self, response: httpx.Response, url: httpx.URL) -> Original:
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in {"", "identity"}:
            error = OriginRefused(f"{url.path} came with Content-Encoding {encoding}")
            raise _failed(error, None, Outcome.SUCCESS)
        try:
            return await read_original(response, self._caps, url.path)
        except OriginError as exc:  # too large, not an image: the origin itself is fine
            raise _failed(exc, exc.__cause__, Outcome.SUCCESS) from exc.__cause__


class _Failed(Exception):
    """One attempt's failure: the port error, what it says about the origin, and whether (and
    when) to try again."""

    def __init__(
        self,
        error: OriginError,
        outcome: Outcome,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.outcome = outcome
        self.retryable = retryable
        self.retry_after = retry_after


def _failed(
    error: OriginError,
    cause: BaseException | None,
    outcome: Outcome,
    *,
    retryable: bool = False,
    retry_after: float | None = None,
) -> _Failed:
    error.__cause__ = cause
    return _Failed(error, outcome, retryable=retryable, retry_after=retry_after)


_STATUS_ERRORS: dict[int, type[OriginError]] = {408: OriginTimeout, 429: OriginUnavailable}
_ERRORS_BY_CLASS: dict[int, type[OriginError]] = {
    3: OriginRefused,
    4: OriginNotFound,
    5: OriginUnavailable,
}


def _hop_problem(url: httpx.URL, previous: httpx.URL | None, hosts: OriginHosts) -> str | None:
    """Why a hop may not be fetched, or None when it may."""
    if url.scheme not in _DEFAULT_PORTS:
        return f"redirect to a {url.scheme or 'relative'} URL"
    if previous is not None and previous.scheme == "https" and url.scheme == "http":
        return "redirect from https to http"
    if url.userinfo:
        return "credentials in the URL"
    try:
        host = canonical_host(url.host)
    except AmbiguousHost as exc:
        return str(exc)
    if not host or not hosts.permits(host):
        return f"host {url.host!r} is not in the allow-list"
    return None


def _origin_of(url: httpx.URL) -> str:
    """The breaker's key: `host:port`, so two services on one host fail apart."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port or _DEFAULT_PORTS.get(url.scheme, 0)}"


def _traced() -> dict[str, str]:
    """The request's correlation ID for the origin's logs, when there is one."""
    correlation = current_correlation_id()
    return {"X-Correlation-ID": correlation} if correlation else {}
