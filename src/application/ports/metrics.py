"""Port: record what the service does, for dashboards and alerts.

Every method is a fact that just happened, named by its role, in seconds and bytes. Calls are
cheap, never raise and never block, so any layer may call them on its hot path. Labels must
have bounded cardinality: routes are templates or handler names, never raw paths; tenants are
bounded by the adapter (the first few hundred distinct tenants keep their name, later ones are
counted as `_other`).

Vocabulary of the string arguments (adapters accept any string, these keep dashboards stable):

- cache `layer`: `memory`, `redis`, `disk`; `operation`: `get`, `put`, `delete`; `outcome`:
  `hit` or `miss` for `get`, `ok` for writes, `error` for any failure.
- image `outcome`: `success`, or the fallback reason (`decode-failed`, `not-an-image`, ...).
- origin `outcome`: `success`, or the fallback reason of the failure (`origin-not-found`,
  `origin-timeout`, `origin-unavailable`, `origin-refused`, `source-too-large`), or
  `negative-cache` when a remembered 4xx answered without asking the origin.
- breaker `state`: `closed`, `half-open`, `open`.
- rate-limit `decision`: `allowed`, `blocked`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """The process and node resources at one instant, as the background sampler sees them."""

    rss_bytes: int
    virtual_bytes: int
    memory_limit_bytes: int
    cpu_percent: float  # of one core, over the last sampling interval (can exceed 100)
    threads: int
    disk_total_bytes: int
    disk_used_bytes: int
    disk_free_bytes: int
    uptime_seconds: float
    loop_lag_seconds: float


class Metrics(Protocol):
    """Records events and levels of the running service; never raises, never blocks."""

    def http_request(
        self,
        *,
        route: str,
        method: str,
        status: int,
        seconds: float,
        request_bytes: int,
        response_bytes: int,
        tenant: str = "",
    ) -> None:
        """One HTTP request answered: its route template, method, status, time and sizes.

        Feeds `mediastream_http_requests_total`, `..._request_duration_seconds`,
        `..._request_size_bytes` and `..._response_size_bytes`.
        """
        ...

    def requests_in_flight(self, count: int) -> None:
        """How many HTTP requests are being answered now (`mediastream_requests_in_flight`)."""
        ...

    def error(self, *, kind: str, code: str) -> None:
        """An error answered or absorbed: `kind` says where (`http`, `fallback`, `internal`,
        `origin`, `cache`, ...), `code` which (`404`, `decode-failed`, ...).

        Feeds `mediastream_errors_total`.
        """
        ...

    def cache_operation(self, *, layer: str, operation: str, outcome: str, seconds: float) -> None:
        """One cache layer call and how it went; `get` outcomes also move the layer's hit ratio.

        Feeds `mediastream_cache_operations_total`, `..._cache_operation_duration_seconds` and
        `mediastream_cache_hit_ratio` (hits / (hits + misses) of that layer since start).
        """
        ...

    def image_processed(self, *, format: str, outcome: str, seconds: float, tenant: str) -> None:
        """One transform (decode, trim, resize, encode) in the output `format`, and its outcome.

        Feeds `mediastream_image_processing_total`, `..._processing_duration_seconds`, and,
        when `outcome` is not `success`, `mediastream_image_processing_errors_total`.
        """
        ...

    def origin_fetch(self, *, outcome: str, seconds: float, size_bytes: int = 0) -> None:
        """One fetch of an original from the origin (or its refusal), with the bytes received.

        Feeds `mediastream_origin_fetch_total`, `..._origin_fetch_duration_seconds` and
        `mediastream_origin_fetch_bytes_total`.
        """
        ...

    def breaker_state(self, *, origin: str, state: str) -> None:
        """The origin circuit breaker is now in `state` (call on every transition and at start).

        Feeds `mediastream_circuit_breaker_state` (0 closed, 1 half-open, 2 open) and
        `mediastream_circuit_breaker_transitions_total`.
        """
        ...

    def coalesced(self) -> None:
        """A request joined identical work already in flight instead of doing it again.

        Feeds `mediastream_coalesced_requests_total`.
        """
        ...

    def queue_depth(self, *, queue: str, depth: int) -> None:
        """How many items wait in `queue` now (`mediastream_queue_depth`)."""
        ...

    def queue_wait(self, *, queue: str, seconds: float) -> None:
        """An item left `queue` after waiting `seconds` (`mediastream_queue_wait_seconds`)."""
        ...

    def queue_rejected(self, *, queue: str) -> None:
        """An item was refused because `queue` was full (`mediastream_queue_rejected_total`)."""
        ...

    def rate_limit(self, *, decision: str, limiter: str = "requests") -> None:
        """A rate limiter decided on one request.

        Feeds `mediastream_rate_limit_attempts_total` and, when `decision` is `blocked`,
        `mediastream_rate_limit_blocked_total`.
        """
        ...

    def resources(self, sample: ResourceSample) -> None:
        """The latest resource sample: memory, CPU, disk, uptime and event-loop lag.

        Feeds `mediastream_memory_usage_bytes`, `mediastream_cpu_usage_percent`,
        `mediastream_disk_space_usage_bytes`, `mediastream_uptime_seconds`,
        `mediastream_event_loop_lag_seconds` and `mediastream_threads`.
        """
        ...

    def performance_alert(self, *, phase: str, active: bool) -> None:
        """The performance watch raised (`active`) or cleared its alert on `phase`.

        Feeds `mediastream_performance_degraded` (1 while raised) and, on raising,
        `mediastream_performance_alerts_total`.
        """
        ...

    def storage_usage(self, *, bytes: int, files: int, level: str) -> None:
        """What the disk tier holds by the access index, and its STORAGE_* level (ADR 23).

        Feeds `mediastream_storage_bytes`, `mediastream_storage_files` and
        `mediastream_storage_level` (0 ok, 1 warning, 2 critical).
        """
        ...

    def storage_removed(self, *, reason: str, files: int, bytes: int) -> None:
        """Result files removed by eviction or cleanup (`reason`: evicted, temporary, unused,
        orphan-file, orphan-row): `mediastream_storage_removed_files_total` and `_bytes_total`.
        """
        ...

    def access_index_flush(self, *, outcome: str, rows: int, seconds: float) -> None:
        """One batch written to the access index (`outcome`: ok, failed):
        `mediastream_access_index_flushes_total`, `_rows_total`, `_flush_duration_seconds`."""
        ...

    def job_finished(self, *, queue: str, outcome: str, seconds: float) -> None:
        """A background job ended (`outcome`: done, retried, dead) on `queue` (ADR 27):
        `mediastream_jobs_total{queue,outcome}` and `mediastream_job_duration_seconds{queue}`."""
        ...

    def job_queue(self, *, queue: str, waiting: int, dead: int) -> None:
        """Jobs waiting and dead-lettered in `queue`, as last counted:
        `mediastream_job_queue_depth{queue}` and `mediastream_job_dead_letters{queue}`."""
        ...


class NoMetrics(Metrics):
    """The `Metrics` that records nothing: what a use case built without a store reports to,
    so that no caller checks for a missing one."""

    def http_request(
        self,
        *,
        route: str,
        method: str,
        status: int,
        seconds: float,
        request_bytes: int,
        response_bytes: int,
        tenant: str = "",
    ) -> None:
        return None

    def requests_in_flight(self, count: int) -> None:
        return None

    def error(self, *, kind: str, code: str) -> None:
        return None

    def cache_operation(self, *, layer: str, operation: str, outcome: str, seconds: float) -> None:
        return None

    def image_processed(self, *, format: str, outcome: str, seconds: float, tenant: str) -> None:
        return None

    def origin_fetch(self, *, outcome: str, seconds: float, size_bytes: int = 0) -> None:
        return None

    def breaker_state(self, *, origin: str, state: str) -> None:
        return None

    def coalesced(self) -> None:
        return None

    def queue_depth(self, *, queue: str, depth: int) -> None:
        return None

    def queue_wait(self, *, queue: str, seconds: float) -> None:
        return None

    def queue_rejected(self, *, queue: str) -> None:
        return None

    def rate_limit(self, *, decision: str, limiter: str = "requests") -> None:
        return None

    def resources(self, sample: ResourceSample) -> None:
        return None

    def performance_alert(self, *, phase: str, active: bool) -> None:
        return None

    def storage_usage(self, *, bytes: int, files: int, level: str) -> None:
        return None

    def storage_removed(self, *, reason: str, files: int, bytes: int) -> None:
        return None

    def access_index_flush(self, *, outcome: str, rows: int, seconds: float) -> None:
        return None

    def job_finished(self, *, queue: str, outcome: str, seconds: float) -> None:
        return None

    def job_queue(self, *, queue: str, waiting: int, dead: int) -> None:
        return None


NO_METRICS = NoMetrics()
