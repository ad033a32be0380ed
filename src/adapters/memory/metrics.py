"""Metrics kept in a dict, with the same series names and labels as the Prometheus adapter."""

from __future__ import annotations

from collections.abc import Mapping

from application.metric_labels import LabelBudget
from application.ports.metrics import Metrics, ResourceSample

Labels = tuple[tuple[str, str], ...]
BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}


def _labels(values: Mapping[str, str]) -> Labels:
    return tuple(sorted(values.items()))


class MemoryMetrics(Metrics):
    """Implements `Metrics` in process memory: counters, gauges and histogram observations.

    Series have the names and labels `PrometheusMetrics` exposes (a contract test runs both),
    so a unit test reads what a dashboard would show.

    Test-only features:

    - `value(name, **labels)` answers a counter or gauge series (0.0 when never touched); for a
      histogram, `<name>_count` and `<name>_sum` answer its count and sum, as in Prometheus;
    - `total(name, **labels)` sums every series of `name` whose labels include `labels`;
    - `observations(name, **labels)` lists a histogram series' observations, in order;
    - `series()` lists every `(name, labels)` recorded so far.
    """

    def __init__(self, *, tenant_limit: int = 500) -> None:
        self._values: dict[tuple[str, Labels], float] = {}
        self._observed: dict[tuple[str, Labels], list[float]] = {}
        self._tenant = LabelBudget(tenant_limit)
        self._gets: dict[str, list[int]] = {}

    # -- Metrics ----------------------------------------------------------------------------

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
        code = str(status)
        self._add(
            "mediastream_http_requests_total",
            method=method,
            route=route,
            status=code,
            tenant=self._tenant(tenant),
        )
        self._observe(
            "mediastream_http_request_duration_seconds",
            seconds,
            method=method,
            route=route,
            status=code,
        )
        self._observe(
            "mediastream_http_request_size_bytes", request_bytes, method=method, route=route
        )
        self._observe(
            "mediastream_http_response_size_bytes", response_bytes, method=method, route=route
        )

    def requests_in_flight(self, count: int) -> None:
        self._set("mediastream_requests_in_flight", count)

    def error(self, *, kind: str, code: str) -> None:
        self._add("mediastream_errors_total", kind=kind, code=code)

    def cache_operation(self, *, layer: str, operation: str, outcome: str, seconds: float) -> None:
        self._add(
            "mediastream_cache_operations_total", layer=layer, operation=operation, outcome=outcome
        )
        self._observe(
            "mediastream_cache_operation_duration_seconds",
            seconds,
            layer=layer,
            operation=operation,
        )
        if operation == "get" and outcome in {"hit", "miss"}:
            counts = self._gets.setdefault(layer, [0, 0])
            counts[0 if outcome == "hit" else 1] += 1
            self._set(
                "mediastream_cache_hit_ratio", counts[0] / (counts[0] + counts[1]), layer=layer
            )

    def image_processed(self, *, format: str, outcome: str, seconds: float, tenant: str) -> None:
        tenant = self._tenant(tenant)
        self._add(
            "mediastream_image_processing_total", format=format, outcome=outcome, tenant=tenant
        )
        self._observe("mediastream_image_processing_duration_seconds", seconds, format=format)
        if outcome != "success":
            self._add("mediastream_image_processing_errors_total", reason=outcome, tenant=tenant)

    def origin_fetch(self, *, outcome: str, seconds: float, size_bytes: int = 0) -> None:
        self._add("mediastream_origin_fetch_total", outcome=outcome)
        self._observe("mediastream_origin_fetch_duration_seconds", seconds, outcome=outcome)
        self._add("mediastream_origin_fetch_bytes_total", amount=size_bytes)

    def breaker_state(self, *, origin: str, state: str) -> None:
        self._set("mediastream_circuit_breaker_state", BREAKER_STATES.get(state, -1), origin=origin)
        self._add("mediastream_circuit_breaker_transitions_total", origin=origin, state=state)

    def coalesced(self) -> None:
        self._add("mediastream_coalesced_requests_total")

    def queue_depth(self, *, queue: str, depth: int) -> None:
        self._set("mediastream_queue_depth", depth, queue=queue)

    def queue_wait(self, *, queue: str, seconds: float) -> None:
        self._observe("mediastream_queue_wait_seconds", seconds, queue=queue)

    def queue_rejected(self, *, queue: str) -> None:
        self._add("mediastream_queue_rejected_total", queue=queue)

    def rate_limit(self, *, decision: str, limiter: str = "requests") -> None:
        self._add("mediastream_rate_limit_attempts_total", limiter=limiter, decision=decision)
        if decision == "blocked":
            self._add("mediastream_rate_limit_blocked_total", limiter=limiter)

    def resources(self, sample: ResourceSample) -> None:
        self._set("mediastream_memory_usage_bytes", sample.rss_bytes, type="rss")
        self._set("mediastream_memory_usage_bytes", sample.virtual_bytes, type="virtual")
        self._set("mediastream_memory_limit_bytes", sample.memory_limit_bytes)
        self._set("mediastream_cpu_usage_percent", sample.cpu_percent)
        self._set("mediastream_threads", sample.threads)
        self._set("mediastream_disk_space_usage_bytes", sample.disk_total_bytes, type="total")
        self._set("mediastream_disk_space_usage_bytes", sample.disk_used_bytes, type="used")
        self._set("mediastream_disk_space_usage_bytes", sample.disk_free_bytes, type="free")
        self._set("mediastream_uptime_seconds", sample.uptime_seconds)
        self._set("mediastream_event_loop_lag_seconds", sample.loop_lag_seconds)

    def performance_alert(self, *, phase: str, active: bool) -> None:
        self._set("mediastream_performance_degraded", 1 if active else 0, phase=phase)
        if active:
            self._add("mediastream_performance_alerts_total", phase=phase)

    def storage_usage(self, *, bytes: int, files: int, level: str) -> None:
        self._set("mediastream_storage_bytes", bytes)
        self._set("mediastream_storage_files", files)
        self._set(
            "mediastream_storage_level", {"ok": 0, "warning": 1, "critical": 2}.get(level, -1)
        )

    def storage_removed(self, *, reason: str, files: int, bytes: int) -> None:
        self._add("mediastream_storage_removed_files_total", files, reason=reason)
        self._add("mediastream_storage_removed_bytes_total", bytes, reason=reason)

    def access_index_flush(self, *, outcome: str, rows: int, seconds: float) -> None:
        self._add("mediastream_access_index_flushes_total", outcome=outcome)
        self._add("mediastream_access_index_rows_total", rows, outcome=outcome)
        self._observe("mediastream_access_index_flush_duration_seconds", seconds)

    def job_finished(self, *, queue: str, outcome: str, seconds: float) -> None:
        self._add("mediastream_jobs_total", queue=queue, outcome=outcome)
        self._observe("mediastream_job_duration_seconds", seconds, queue=queue)

    def job_queue(self, *, queue: str, waiting: int, dead: int) -> None:
        self._set("mediastream_job_queue_depth", waiting, queue=queue)
        self._set("mediastream_job_dead_letters", dead, queue=queue)

    # -- reading ----------------------------------------------------------------------------

    def value(self, name: str, **labels: str) -> float:
        """A counter or gauge series, or `<histogram>_count` / `<histogram>_sum`."""
        key = (name, _labels(labels))
        if key in self._values:
            return self._values[key]
        for suffix, reduce in (("_count", len), ("_sum", sum)):
            if name.endswith(suffix):
                observed = self._observed.get((name.removesuffix(suffix), key[1]), [])
                return float(reduce(observed))
        return 0.0

    def total(self, name: str, **labels: str) -> float:
        """The sum of every series of `name` whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(
            value
            for (series, have), value in self._values.items()
            if series == name and wanted <= set(have)
        )

    def observations(self, name: str, **labels: str) -> list[float]:
        """The observations of one histogram series, in the order they were made."""
        return list(self._observed.get((name, _labels(labels)), []))

    def series(self) -> list[tuple[str, dict[str, str]]]:
        """Every series recorded so far, counters and gauges first, then histograms."""
        keys = [*self._values, *self._observed]
        return [(name, dict(labels)) for name, labels in keys]

    def exposition(self) -> tuple[bytes, str]:
        """Every counter and gauge, and each histogram's count and sum, in the text format."""
        lines = [
            f"{name}{_render(labels)} {value!r}" for (name, labels), value in self._values.items()
        ]
        for (name, labels), observed in self._observed.items():
            lines.append(f"{name}_count{_render(labels)} {float(len(observed))!r}")
            lines.append(f"{name}_sum{_render(labels)} {float(sum(observed))!r}")
        return ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4; charset=utf-8"

    # -- recording --------------------------------------------------------------------------

    def _add(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, _labels(labels))
        self._values[key] = self._values.get(key, 0.0) + amount

    def _set(self, name: str, value: float, **labels: str) -> None:
        self._values[(name, _labels(labels))] = float(value)

    def _observe(self, name: str, value: float, **labels: str) -> None:
        self._observed.setdefault((name, _labels(labels)), []).append(float(value))


def _render(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (
        (name, value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
        for name, value in labels
    )
    return "{" + ",".join(f'{name}="{value}"' for name, value in escaped) + "}"
