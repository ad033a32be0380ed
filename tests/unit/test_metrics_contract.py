"""The Metrics port: the Prometheus and the in-memory adapter record the same series."""

from __future__ import annotations

import math
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adapters.memory.metrics import MemoryMetrics
from adapters.prometheus import PrometheusMetrics
from adapters.prometheus.metrics import DURATION_BUCKETS, MAX_BOUND_CHILDREN, SIZE_BUCKETS
from application.metric_labels import OTHER, LabelBudget
from application.ports.metrics import Metrics
from tests.support.metrics import MEDIA, exercise


def read(metrics: Metrics, name: str, **labels: str) -> float:
    """One sample as a scrape would show it (0.0 when absent)."""
    if isinstance(metrics, PrometheusMetrics):
        return metrics.registry.get_sample_value(name, labels) or 0.0
    assert isinstance(metrics, MemoryMetrics)
    return metrics.value(name, **labels)


@pytest.fixture(params=["prometheus", "memory"])
def metrics(request: pytest.FixtureRequest) -> Metrics:
    return PrometheusMetrics() if request.param == "prometheus" else MemoryMetrics()


def test_http_requests_are_counted_by_route_status_and_tenant(metrics: Metrics) -> None:
    exercise(metrics)

    ok = {"method": "GET", "route": MEDIA, "status": "200"}
    assert read(metrics, "mediastream_http_requests_total", **ok, tenant="acme") == 2
    assert read(metrics, "mediastream_http_request_duration_seconds_count", **ok) == 2
    assert read(metrics, "mediastream_http_request_duration_seconds_sum", **ok) == pytest.approx(
        0.32
    )
    assert (
        read(metrics, "mediastream_http_requests_total", **{**ok, "status": "404"}, tenant="") == 0
    )
    assert (
        read(
            metrics,
            "mediastream_http_requests_total",
            method="POST",
            route="unmatched",
            status="404",
            tenant="",
        )
        == 1
    )
    sizes = {"method": "GET", "route": MEDIA}
    assert read(metrics, "mediastream_http_response_size_bytes_sum", **sizes) == 10_000
    assert read(metrics, "mediastream_http_request_size_bytes_count", **sizes) == 2
    assert read(metrics, "mediastream_requests_in_flight") == 3


def test_work_metrics_keep_their_labels(metrics: Metrics) -> None:
    exercise(metrics)

    assert read(metrics, "mediastream_errors_total", kind="fallback", code="origin-not-found") == 1
    cache = {"layer": "memory", "operation": "get"}
    assert read(metrics, "mediastream_cache_operations_total", **cache, outcome="hit") == 2
    assert read(metrics, "mediastream_cache_operation_duration_seconds_count", **cache) == 3
    assert read(metrics, "mediastream_cache_hit_ratio", layer="memory") == pytest.approx(2 / 3)
    assert read(metrics, "mediastream_cache_hit_ratio", layer="disk") == 0  # writes only
    assert (
        read(
            metrics,
            "mediastream_image_processing_total",
            format="webp",
            outcome="success",
            tenant="acme",
        )
        == 1
    )
    assert (
        read(
            metrics,
            "mediastream_image_processing_errors_total",
            reason="decode-failed",
            tenant="acme",
        )
        == 1
    )
    assert read(metrics, "mediastream_image_processing_duration_seconds_count", format="png") == 1
    assert read(metrics, "mediastream_origin_fetch_total", outcome="origin-timeout") == 1
    assert read(metrics, "mediastream_origin_fetch_bytes_total") == 12_345
    assert read(metrics, "mediastream_circuit_breaker_state", origin="shop") == 2
    assert (
        read(metrics, "mediastream_circuit_breaker_transitions_total", origin="shop", state="open")
        == 1
    )
    assert read(metrics, "mediastream_coalesced_requests_total") == 2
    assert read(metrics, "mediastream_queue_depth", queue="transform") == 4
    assert read(metrics, "mediastream_queue_wait_seconds_sum", queue="transform") == 0.5
    assert read(metrics, "mediastream_queue_rejected_total", queue="transform") == 1
    assert (
        read(metrics, "mediastream_rate_limit_attempts_total", limiter="ip", decision="blocked")
        == 1
    )
    assert read(metrics, "mediastream_rate_limit_blocked_total", limiter="ip") == 1


def test_process_levels_and_alerts_are_gauges(metrics: Metrics) -> None:
    exercise(metrics)

    assert read(metrics, "mediastream_memory_usage_bytes", type="rss") == 120_000_000
    assert read(metrics, "mediastream_cpu_usage_percent") == 37.5
    assert read(metrics, "mediastream_disk_space_usage_bytes", type="free") == 100
    assert read(metrics, "mediastream_uptime_seconds") == 42.0
    assert read(metrics, "mediastream_event_loop_lag_seconds") == 0.003
    assert read(metrics, "mediastream_performance_degraded", phase="fetch") == 1
    metrics.performance_alert(phase="fetch", active=False)
    assert read(metrics, "mediastream_performance_degraded", phase="fetch") == 0
    assert read(metrics, "mediastream_performance_alerts_total", phase="fetch") == 1


def test_both_adapters_expose_exactly_the_same_series() -> None:
    prometheus, memory = PrometheusMetrics(), MemoryMetrics()
    exercise(prometheus)
    exercise(memory)

    def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        found = {}
        for family in text_string_to_metric_families(text.decode()):
            for sample in family.samples:
                if sample.name.endswith(("_bucket", "_created")):
                    continue
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return found

    from_prometheus = samples(prometheus.exposition()[0])
    from_memory = samples(memory.exposition()[0])

    assert from_prometheus.keys() == from_memory.keys()
    for key, value in from_prometheus.items():
        assert math.isclose(value, from_memory[key]), key


@pytest.mark.parametrize("adapter", [PrometheusMetrics, MemoryMetrics])
def test_tenants_beyond_the_budget_are_counted_together(
    adapter: type[PrometheusMetrics] | type[MemoryMetrics],
) -> None:
    target = adapter(tenant_limit=2)
    for tenant in ("a", "b", "c", "d", "a"):
        target.image_processed(format="png", outcome="success", seconds=0.1, tenant=tenant)

    labels = {"format": "png", "outcome": "success"}
    assert read(target, "mediastream_image_processing_total", **labels, tenant="a") == 2
    assert read(target, "mediastream_image_processing_total", **labels, tenant="b") == 1
    assert read(target, "mediastream_image_processing_total", **labels, tenant=OTHER) == 2
    assert read(target, "mediastream_image_processing_total", **labels, tenant="c") == 0


def test_a_label_budget_lets_the_empty_value_through_always() -> None:
    budget = LabelBudget(1)

    assert [budget(value) for value in ("x", "", "y", "x", "")] == ["x", "", OTHER, "x", ""]
    with pytest.raises(ValueError):
        LabelBudget(-1)


def test_each_prometheus_adapter_has_a_registry_of_its_own() -> None:
    first, second = PrometheusMetrics(), PrometheusMetrics()

    first.coalesced()

    assert read(first, "mediastream_coalesced_requests_total") == 1
    assert read(second, "mediastream_coalesced_requests_total") == 0
    body, content_type = first.exposition()
    assert content_type.startswith("text/plain")
    assert b"# TYPE mediastream_http_requests_total counter" in body


def test_memory_metrics_can_be_queried_across_labels() -> None:
    memory = MemoryMetrics()
    exercise(memory)

    assert memory.total("mediastream_http_requests_total") == 3
    assert memory.total("mediastream_http_requests_total", method="GET") == 2
    assert memory.observations(
        "mediastream_http_request_duration_seconds", method="GET", route=MEDIA, status="200"
    ) == [0.02, 0.3]
    assert ("mediastream_coalesced_requests_total", {}) in memory.series()


def test_updates_held_back_read_as_if_each_was_written_at_once() -> None:
    """Per-request series are added up until the registry is read: every scrape and sample
    read sees each bucket, sum and count as direct updates of the same series would give."""
    held = PrometheusMetrics()
    direct = CollectorRegistry()
    seconds = Histogram(
        "mediastream_http_request_duration_seconds",
        "",
        ("method", "route", "status"),
        buckets=DURATION_BUCKETS,
        registry=direct,
    )
    sizes = Histogram(
        "mediastream_http_response_size_bytes",
        "",
        ("method", "route"),
        buckets=SIZE_BUCKETS,
        registry=direct,
    )
    timings = [0.0, 0.005, 0.0051, 0.3, 7.0, 31.0, 0.01, 0.005]
    for round_ in range(3):
        for index, spent in enumerate(timings):
            size = 10**index + round_
            held.http_request(
                route=MEDIA,
                method="GET",
                status=200,
                seconds=spent,
                request_bytes=100,
                response_bytes=size,
                tenant="acme",
            )
            seconds.labels("GET", MEDIA, "200").observe(spent)
            sizes.labels("GET", MEDIA).observe(size)
        for family in (
            "mediastream_http_request_duration_seconds",
            "mediastream_http_response_size_bytes",
        ):
            seen, expected = samples(held.registry, family), samples(direct, family)
            assert [sample[:2] for sample in seen] == [sample[:2] for sample in expected]
            # the sums may differ in the last bit: added up in another order
            assert [sample[2] for sample in seen] == pytest.approx([s[2] for s in expected])
    count = len(timings) * 3
    assert read(held, "mediastream_http_requests_total", **GET_MEDIA_200, tenant="acme") == count


def test_held_back_updates_survive_forgetting_bound_children() -> None:
    metrics = PrometheusMetrics()
    metrics.http_request(**ONE_REQUEST, tenant="acme")
    for index in range(MAX_BOUND_CHILDREN + 1):  # odd methods: the bound children are dropped
        metrics.http_request(**{**ONE_REQUEST, "method": f"M{index}"}, tenant="acme")
    metrics.http_request(**ONE_REQUEST, tenant="acme")

    assert read(metrics, "mediastream_http_requests_total", **GET_MEDIA_200, tenant="acme") == 2
    count = "mediastream_http_request_duration_seconds_count"
    assert read(metrics, count, method="M7", route=MEDIA, status="200") == 1


def test_rate_limit_and_cache_series_are_held_back_and_read_in_full() -> None:
    metrics = PrometheusMetrics()
    for _ in range(5):
        metrics.rate_limit(decision="allowed", limiter="image")
        metrics.cache_operation(layer="memory", operation="get", outcome="hit", seconds=0.0004)
    metrics.rate_limit(decision="blocked", limiter="image")

    attempts = "mediastream_rate_limit_attempts_total"
    assert read(metrics, attempts, limiter="image", decision="allowed") == 5
    assert read(metrics, attempts, limiter="image", decision="blocked") == 1
    assert read(metrics, "mediastream_rate_limit_blocked_total", limiter="image") == 1
    gets = {"layer": "memory", "operation": "get"}
    assert read(metrics, "mediastream_cache_operations_total", **gets, outcome="hit") == 5
    bucket = "mediastream_cache_operation_duration_seconds_bucket"
    assert read(metrics, bucket, **gets, le="0.0005") == 5
    assert read(metrics, "mediastream_cache_hit_ratio", layer="memory") == 1.0


GET_MEDIA_200 = {"method": "GET", "route": MEDIA, "status": "200"}
ONE_REQUEST: dict[str, Any] = {
    "route": MEDIA,
    "method": "GET",
    "status": 200,
    "seconds": 0.002,
    "request_bytes": 100,
    "response_bytes": 1000,
}


def samples(registry: CollectorRegistry, name: str) -> list[tuple[str, str, float]]:
    """Every sample of the family `name`, as a scrape shows them (creation times left out)."""
    text = generate_latest(registry).decode()
    return sorted(
        (sample.name, str(sorted(sample.labels.items())), sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
        if not sample.name.endswith("_created")
    )
