"""Metrics as Prometheus series, in a registry of their own, with the Node service's names."""

from __future__ import annotations

import math
import os
import threading
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from application.metric_labels import LabelBudget
from application.ports.metrics import Metrics, ResourceSample

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
SIZE_BUCKETS = (256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216)
BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}
STORAGE_LEVELS = {"ok": 0, "warning": 1, "critical": 2}
# labelled children remembered per metric before the memory is dropped and rebuilt
MAX_BOUND_CHILDREN = 4096
# How a gauge's per-process values combine in multiprocess mode (dead processes left out).
GaugeMode = Literal["livesum", "livemax", "liveall"]


MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class _Tally:
    """Observations of one histogram child added up in plain numbers (per bucket, and their
    sum) until the registry is read: `Histogram.observe` takes a lock per update and walks
    the buckets in Python, on every request."""

    __slots__ = ("bounds", "buckets", "child", "total")

    def __init__(self, child: Histogram, bounds: tuple[float, ...]) -> None:
        self.child = child
        self.bounds = (*bounds, math.inf)  # as the histogram's own, +Inf last
        self.buckets = [0] * len(self.bounds)
        self.total = 0.0

    def add(self, amount: float) -> None:
        # the first bucket whose bound is >= amount, as `Histogram.observe` picks it
        self.buckets[bisect_left(self.bounds, amount)] += 1
        self.total += amount

    def flush(self) -> None:
        buckets = self.buckets
        if not any(buckets):
            return
        # a histogram child keeps one value per bucket (not cumulative) and one for the sum
        for value, count in zip(self.child._buckets, buckets, strict=True):
            if count:
                value.inc(count)
        self.child._sum.inc(self.total)
        self.buckets = [0] * len(buckets)
        self.total = 0.0


class _Count:
    """Increments of one counter child added up until the registry is read."""

    __slots__ = ("child", "count")

    def __init__(self, child: Counter) -> None:
        self.child = child
        self.count = 0

    def flush(self) -> None:
        if self.count:
            self.child.inc(self.count)
            self.count = 0


@dataclass(frozen=True, slots=True)
class _HttpChildren:
    """The series one kind of HTTP answer updates (bound once, updated per request)."""

    requests: _Count
    seconds: _Tally
    request_size: _Tally
    response_size: _Tally

    def flush(self) -> None:
        self.requests.flush()
        self.seconds.flush()
        self.request_size.flush()
        self.response_size.flush()


class _Flush(Collector):
    """Registered first in the registry: every read of it (a scrape, `get_sample_value`)
    first writes the updates held back into the series."""

    def __init__(self, flush: Callable[[], None]) -> None:
        self._flush = flush

    def describe(self) -> list[Metric]:
        return []  # no series of its own

    def collect(self) -> list[Metric]:
        self._flush()
        return []


class PrometheusMetrics(Metrics):
    """Implements `Metrics` with prometheus_client, in its own `CollectorRegistry`.

    One instance per process, built by the container; nothing goes to the global registry.
    `exposition()` renders the text format for `GET /metrics`. With `multiprocess_directory`
    (the `PROMETHEUS_MULTIPROC_DIR` that prometheus_client itself reads, which must be set in
    the environment before the process starts), every process of the node writes its values
    there and `exposition()` merges all of them into one view: counters and histograms are
    summed, gauges are combined as each gauge's `multiprocess_mode` says.
    """

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        multiprocess_directory: str | None = None,
        tenant_limit: int = 500,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._multiprocess_directory = multiprocess_directory or None
        self._tenant = LabelBudget(tenant_limit)
        self._gets: dict[str, list[int]] = {}  # layer -> [hits, misses]
        # labelled children bound once per label values: `labels()` costs more than the update
        self._cache_children: dict[tuple[str, str, str], tuple[_Count, _Tally]] = {}
        self._http_children: dict[tuple[str, str, int, str], _HttpChildren] = {}
        self._rate_children: dict[tuple[str, str], _Count] = {}
        self._ratio_children: dict[str, Gauge] = {}
        self._in_flight_now = 0
        # The series every request updates (HTTP, cache gets, rate limits) are added up here
        # and written when the registry is read; in multiprocess mode the scrape reads the
        # files of every process, so they are written at once instead.
        self._write_through = self._multiprocess_directory is not None
        self._lock = threading.Lock()  # held while updates are added up or written
        self._held: list[_Count | _Tally | _HttpChildren] = []
        self.registry.register(_Flush(self._flush))
        self._build_http()
        self._build_work()
        self._build_process()
        if self._multiprocess_directory is None:
            # Gauges that change on every request are read when scraped, not written per
            # request; in multiprocess mode the scrape reads files, so they are written.
            self._in_flight.set_function(lambda: self._in_flight_now)

    @classmethod
    def from_environment(cls) -> PrometheusMetrics:
        """One per process, in multiprocess mode when `PROMETHEUS_MULTIPROC_DIR` is set in the
        process environment (prometheus_client reads it there when it is imported)."""
        return cls(multiprocess_directory=os.environ.get(MULTIPROCESS_VARIABLE))

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
        children = self._http_children.get((method, route, status, tenant))
        if children is None:
            children = self._bind_http(method, route, status, tenant)
        timing, asked, sent = children.seconds, children.request_size, children.response_size
        with self._lock:  # `_Tally.add` written out: four series on every request
            children.requests.count += 1
            timing.buckets[bisect_left(timing.bounds, seconds)] += 1
            timing.total += seconds
            asked.buckets[bisect_left(asked.bounds, request_bytes)] += 1
            asked.total += request_bytes
            sent.buckets[bisect_left(sent.bounds, response_bytes)] += 1
            sent.total += response_bytes
            if self._write_through:
                children.flush()

    def _bind_http(self, method: str, route: str, status: int, tenant: str) -> _HttpChildren:
        code = str(status)
        children = _HttpChildren(
            _Count(self._requests.labels(method, route, code, self._tenant(tenant))),
            _Tally(self._request_seconds.labels(method, route, code), DURATION_BUCKETS),
            _Tally(self._request_size.labels(method, route), SIZE_BUCKETS),
            _Tally(self._response_size.labels(method, route), SIZE_BUCKETS),
        )
        if len(self._http_children) >= MAX_BOUND_CHILDREN:
            with self._lock:  # odd methods or tenants: forget, never grow (what they held kept)
                for held in self._http_children.values():
                    held.flush()
                self._held = [held for held in self._held if not isinstance(held, _HttpChildren)]
            self._http_children.clear()
        self._hold(children)
        self._http_children[(method, route, status, tenant)] = children
        return children

    def _hold(self, held: _Count | _Tally | _HttpChildren) -> None:
        with self._lock:
            self._held.append(held)

    def _flush(self) -> None:
        """Write every update held back into its series."""
        with self._lock:
            for held in self._held:
                held.flush()

    def requests_in_flight(self, count: int) -> None:
        self._in_flight_now = count
        if self._multiprocess_directory is not None:
            self._in_flight.set(count)

    def error(self, *, kind: str, code: str) -> None:
        self._errors.labels(kind, code).inc()

    def cache_operation(self, *, layer: str, operation: str, outcome: str, seconds: float) -> None:
        # one call per cache layer per request: the labelled children are looked up once
        children = self._cache_children.get((layer, operation, outcome))
        if children is None:
            children = (
                _Count(self._cache_operations.labels(layer, operation, outcome)),
                _Tally(self._cache_seconds.labels(layer, operation), FAST_BUCKETS),
            )
            self._hold(children[0])
            self._hold(children[1])
            self._cache_children[(layer, operation, outcome)] = children
        count, tally = children
        with self._lock:
            count.count += 1
            tally.add(seconds)
            if self._write_through:
                count.flush()
                tally.flush()
        if operation == "get" and outcome in {"hit", "miss"}:
            counts = self._gets.get(layer)
            if counts is None:
                counts = self._gets[layer] = [0, 0]
                self._bind_hit_ratio(layer, counts)
            counts[0 if outcome == "hit" else 1] += 1
            if self._multiprocess_directory is not None:
                self._ratio_children[layer].set(counts[0] / (counts[0] + counts[1]))

    def _bind_hit_ratio(self, layer: str, counts: list[int]) -> None:
        ratio = self._ratio_children[layer] = self._hit_ratio.labels(layer)
        if self._multiprocess_directory is None:
            ratio.set_function(lambda: counts[0] / max(1, counts[0] + counts[1]))

    def image_processed(self, *, format: str, outcome: str, seconds: float, tenant: str) -> None:
        tenant = self._tenant(tenant)
        self._images.labels(format, outcome, tenant).inc()
        self._image_seconds.labels(format).observe(seconds)
        if outcome != "success":
            self._image_errors.labels(outcome, tenant).inc()

    def origin_fetch(self, *, outcome: str, seconds: float, size_bytes: int = 0) -> None:
        self._fetches.labels(outcome).inc()
        self._fetch_seconds.labels(outcome).observe(seconds)
        self._fetch_bytes.inc(size_bytes)

    def breaker_state(self, *, origin: str, state: str) -> None:
        self._breaker.labels(origin).set(BREAKER_STATES.get(state, -1))
        self._breaker_transitions.labels(origin, state).inc()

    def coalesced(self) -> None:
        self._coalesced.inc()

    def queue_depth(self, *, queue: str, depth: int) -> None:
        self._queue_depth.labels(queue).set(depth)

    def queue_wait(self, *, queue: str, seconds: float) -> None:
        self._queue_wait.labels(queue).observe(seconds)

    def queue_rejected(self, *, queue: str) -> None:
        self._queue_rejected.labels(queue).inc()

    def rate_limit(self, *, decision: str, limiter: str = "requests") -> None:
        attempts = self._rate_children.get((limiter, decision))
        if attempts is None:
            attempts = _Count(self._rate_attempts.labels(limiter, decision))
            self._hold(attempts)
            self._rate_children[(limiter, decision)] = attempts
        with self._lock:
            attempts.count += 1
            if self._write_through:
                attempts.flush()
        if decision == "blocked":
            self._rate_blocked.labels(limiter).inc()

    def resources(self, sample: ResourceSample) -> None:
        self._memory.labels("rss").set(sample.rss_bytes)
        self._memory.labels("virtual").set(sample.virtual_bytes)
        self._memory_limit.set(sample.memory_limit_bytes)
        self._cpu.set(sample.cpu_percent)
        self._threads.set(sample.threads)
        self._disk.labels("total").set(sample.disk_total_bytes)
        self._disk.labels("used").set(sample.disk_used_bytes)
        self._disk.labels("free").set(sample.disk_free_bytes)
        self._uptime.set(sample.uptime_seconds)
        self._loop_lag.set(sample.loop_lag_seconds)

    def performance_alert(self, *, phase: str, active: bool) -> None:
        self._degraded.labels(phase).set(1 if active else 0)
        if active:
            self._alerts.labels(phase).inc()

    def storage_usage(self, *, bytes: int, files: int, level: str) -> None:
        self._storage_bytes.set(bytes)
        self._storage_files.set(files)
        self._storage_level.set(STORAGE_LEVELS.get(level, -1))

    def storage_removed(self, *, reason: str, files: int, bytes: int) -> None:
        self._storage_removed_files.labels(reason).inc(files)
        self._storage_removed_bytes.labels(reason).inc(bytes)

    def access_index_flush(self, *, outcome: str, rows: int, seconds: float) -> None:
        self._index_flushes.labels(outcome).inc()
        self._index_rows.labels(outcome).inc(rows)
        self._index_seconds.observe(seconds)

    def job_finished(self, *, queue: str, outcome: str, seconds: float) -> None:
        self._jobs.labels(queue, outcome).inc()
        self._job_seconds.labels(queue).observe(seconds)

    def job_queue(self, *, queue: str, waiting: int, dead: int) -> None:
        self._job_depth.labels(queue).set(waiting)
        self._job_dead.labels(queue).set(dead)

    # -- exposition -------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition of every series (of every process, in multiprocess mode)."""
        if self._multiprocess_directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            merged, path=self._multiprocess_directory
        )
        return generate_latest(merged), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """In multiprocess mode, drop this process's live gauges from the merged view."""
        if self._multiprocess_directory is not None:
            multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                os.getpid(), self._multiprocess_directory
            )

    # -- series -----------------------------------------------------------------------------

    def _counter(self, name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(name, doc, labels, registry=self.registry)

    def _gauge(
        self, name: str, doc: str, labels: tuple[str, ...] = (), *, mode: GaugeMode
    ) -> Gauge:
        return Gauge(name, doc, labels, registry=self.registry, multiprocess_mode=mode)

    def _histogram(
        self, name: str, doc: str, labels: tuple[str, ...], buckets: tuple[float, ...]
    ) -> Histogram:
        return Histogram(name, doc, labels, buckets=buckets, registry=self.registry)

    def _build_http(self) -> None:
        self._requests = self._counter(
            "mediastream_http_requests_total",
            "HTTP requests answered, by method, route template, status and tenant.",
            ("method", "route", "status", "tenant"),
        )
        self._request_seconds = self._histogram(
            "mediastream_http_request_duration_seconds",
            "Time from request to the last response byte.",
            ("method", "route", "status"),
            DURATION_BUCKETS,
        )
        self._request_size = self._histogram(
            "mediastream_http_request_size_bytes",
            "Request size: head and body.",
            ("method", "route"),
            SIZE_BUCKETS,
        )
        self._response_size = self._histogram(
            "mediastream_http_response_size_bytes",
            "Response body size.",
            ("method", "route"),
            SIZE_BUCKETS,
        )
        self._in_flight = self._gauge(
            "mediastream_requests_in_flight", "HTTP requests being answered now.", mode="livesum"
        )
        self._errors = self._counter(
            "mediastream_errors_total",
            "Errors answered or absorbed, by kind and code.",
            ("kind", "code"),
        )

    def _build_work(self) -> None:
        self._cache_operations = self._counter(
            "mediastream_cache_operations_total",
            "Result cache calls, by layer, operation and outcome.",
            ("layer", "operation", "outcome"),
        )
        self._cache_seconds = self._histogram(
            "mediastream_cache_operation_duration_seconds",
            "Time of one result cache call.",
            ("layer", "operation"),
            FAST_BUCKETS,
        )
        self._hit_ratio = self._gauge(
            "mediastream_cache_hit_ratio",
            "Hits / (hits + misses) of a cache layer since the process started.",
            ("layer",),
            mode="liveall",
        )
        self._images = self._counter(
            "mediastream_image_processing_total",
            "Transforms, by output format, outcome and tenant.",
            ("format", "outcome", "tenant"),
        )
        self._image_seconds = self._histogram(
            "mediastream_image_processing_duration_seconds",
            "Time of one transform: decode, trim, resize, encode.",
            ("format",),
            DURATION_BUCKETS,
        )
        self._image_errors = self._counter(
            "mediastream_image_processing_errors_total",
            "Transforms that failed, by reason and tenant.",
            ("reason", "tenant"),
        )
        self._build_origin()

    def _build_origin(self) -> None:
        self._fetches = self._counter(
            "mediastream_origin_fetch_total", "Fetches of originals, by outcome.", ("outcome",)
        )
        self._fetch_seconds = self._histogram(
            "mediastream_origin_fetch_duration_seconds",
            "Time of one origin fetch.",
            ("outcome",),
            DURATION_BUCKETS,
        )
        self._fetch_bytes = self._counter(
            "mediastream_origin_fetch_bytes_total", "Bytes of originals received."
        )
        self._breaker = self._gauge(
            "mediastream_circuit_breaker_state",
            "Origin circuit breaker: 0 closed, 1 half-open, 2 open.",
            ("origin",),
            mode="livemax",
        )
        self._breaker_transitions = self._counter(
            "mediastream_circuit_breaker_transitions_total",
            "Circuit breaker transitions, by the state entered.",
            ("origin", "state"),
        )
        self._coalesced = self._counter(
            "mediastream_coalesced_requests_total",
            "Requests that joined identical work in flight instead of repeating it.",
        )
        self._build_protection()

    def _build_protection(self) -> None:
        self._queue_depth = self._gauge(
            "mediastream_queue_depth", "Items waiting in a queue.", ("queue",), mode="livesum"
        )
        self._queue_wait = self._histogram(
            "mediastream_queue_wait_seconds",
            "Time an item waited in a queue.",
            ("queue",),
            DURATION_BUCKETS,
        )
        self._queue_rejected = self._counter(
            "mediastream_queue_rejected_total",
            "Items refused because a queue was full.",
            ("queue",),
        )
        self._rate_attempts = self._counter(
            "mediastream_rate_limit_attempts_total",
            "Requests judged by a rate limiter, by limiter and decision.",
            ("limiter", "decision"),
        )
        self._rate_blocked = self._counter(
            "mediastream_rate_limit_blocked_total",
            "Requests refused by a rate limiter.",
            ("limiter",),
        )

    def _build_process(self) -> None:
        gauge = self._gauge
        self._memory = gauge(
            "mediastream_memory_usage_bytes",
            "Process memory, by type (rss, virtual).",
            ("type",),
            mode="livesum",
        )
        self._memory_limit = gauge(
            "mediastream_memory_limit_bytes",
            "Memory the process may use: its cgroup limit, else the machine's memory.",
            mode="livemax",
        )
        self._cpu = gauge(
            "mediastream_cpu_usage_percent",
            "CPU used over the last sampling interval, percent of one core.",
            mode="livesum",
        )
        self._threads = gauge("mediastream_threads", "Threads of the process.", mode="livesum")
        self._disk = gauge(
            "mediastream_disk_space_usage_bytes",
            "File system of CACHE_FILE_DIRECTORY, by type (total, used, free).",
            ("type",),
            mode="livemax",
        )
        self._build_health_of_the_node()
        self._build_storage()

    def _build_storage(self) -> None:
        gauge, counter = self._gauge, self._counter
        self._storage_bytes = gauge(
            "mediastream_storage_bytes",
            "Bytes of result files, by the access index.",
            mode="livemax",
        )
        self._storage_files = gauge(
            "mediastream_storage_files", "Result files, by the access index.", mode="livemax"
        )
        self._storage_level = gauge(
            "mediastream_storage_level",
            "Disk tier against STORAGE_* thresholds: 0 ok, 1 warning, 2 critical.",
            mode="livemax",
        )
        self._storage_removed_files = counter(
            "mediastream_storage_removed_files_total",
            "Result files removed, by reason: evicted, temporary, unused, orphan-file, orphan-row.",
            ("reason",),
        )
        self._storage_removed_bytes = counter(
            "mediastream_storage_removed_bytes_total", "Bytes of result files removed.", ("reason",)
        )
        self._index_flushes = counter(
            "mediastream_access_index_flushes_total",
            "Batches written to the access index.",
            ("outcome",),
        )
        self._index_rows = counter(
            "mediastream_access_index_rows_total", "Stores and hits in those batches.", ("outcome",)
        )
        self._index_seconds = self._histogram(
            "mediastream_access_index_flush_duration_seconds",
            "Time to write one batch to the access index.",
            (),
            FAST_BUCKETS,
        )
        self._build_jobs()

    def _build_jobs(self) -> None:
        gauge, counter = self._gauge, self._counter
        self._jobs = counter(
            "mediastream_jobs_total",
            "Background jobs ended, by queue and outcome: done, retried, dead.",
            ("queue", "outcome"),
        )
        self._job_seconds = self._histogram(
            "mediastream_job_duration_seconds",
            "Time a background job ran, by queue.",
            ("queue",),
            DURATION_BUCKETS,
        )
        self._job_depth = gauge(
            "mediastream_job_queue_depth",
            "Jobs waiting in each queue, as last counted.",
            ("queue",),
            mode="livemax",
        )
        self._job_dead = gauge(
            "mediastream_job_dead_letters",
            "Dead-lettered jobs of each queue, as last counted.",
            ("queue",),
            mode="livemax",
        )

    def _build_health_of_the_node(self) -> None:
        gauge = self._gauge
        self._uptime = gauge(
            "mediastream_uptime_seconds", "Seconds since the service started.", mode="livemax"
        )
        self._loop_lag = gauge(
            "mediastream_event_loop_lag_seconds",
            "How late the event loop ran the sampler's timer at the last sample.",
            mode="livemax",
        )
        self._degraded = gauge(
            "mediastream_performance_degraded",
            "1 while the performance watch holds an alert on the phase.",
            ("phase",),
            mode="livemax",
        )
        self._alerts = self._counter(
            "mediastream_performance_alerts_total",
            "Performance alerts raised, by phase.",
            ("phase",),
        )
