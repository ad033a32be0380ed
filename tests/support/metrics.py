"""Exercising a `Metrics` adapter the way the service does (no tests here)."""

from __future__ import annotations

from application.ports.metrics import Metrics, ResourceSample

MEDIA = "/media_stream-image/media/{tenant}/uploads/..."

SAMPLE = ResourceSample(
    rss_bytes=120_000_000,
    virtual_bytes=400_000_000,
    memory_limit_bytes=2_000_000_000,
    cpu_percent=37.5,
    threads=9,
    disk_total_bytes=1000,
    disk_used_bytes=900,
    disk_free_bytes=100,
    uptime_seconds=42.0,
    loop_lag_seconds=0.003,
)


def exercise(metrics: Metrics) -> None:
    """One call of every port method (twice for some), as the service would make them."""
    for seconds in (0.02, 0.3):
        metrics.http_request(
            route=MEDIA,
            method="GET",
            status=200,
            seconds=seconds,
            request_bytes=180,
            response_bytes=5000,
            tenant="acme",
        )
    metrics.http_request(
        route="unmatched",
        method="POST",
        status=404,
        seconds=0.001,
        request_bytes=90,
        response_bytes=120,
    )
    metrics.requests_in_flight(3)
    metrics.error(kind="fallback", code="origin-not-found")
    metrics.cache_operation(layer="memory", operation="get", outcome="miss", seconds=0.0001)
    metrics.cache_operation(layer="memory", operation="get", outcome="hit", seconds=0.0001)
    metrics.cache_operation(layer="memory", operation="get", outcome="hit", seconds=0.0001)
    metrics.cache_operation(layer="disk", operation="put", outcome="ok", seconds=0.004)
    metrics.image_processed(format="webp", outcome="success", seconds=0.12, tenant="acme")
    metrics.image_processed(format="png", outcome="decode-failed", seconds=0.01, tenant="acme")
    metrics.origin_fetch(outcome="success", seconds=0.08, size_bytes=12_345)
    metrics.origin_fetch(outcome="origin-timeout", seconds=10.0)
    metrics.breaker_state(origin="shop", state="open")
    metrics.coalesced()
    metrics.coalesced()
    metrics.queue_depth(queue="transform", depth=4)
    metrics.queue_wait(queue="transform", seconds=0.5)
    metrics.queue_rejected(queue="transform")
    metrics.rate_limit(decision="allowed", limiter="ip")
    metrics.rate_limit(decision="blocked", limiter="ip")
    metrics.resources(SAMPLE)
    metrics.performance_alert(phase="fetch", active=True)
    metrics.storage_usage(bytes=1000, files=3, level="warning")
    metrics.storage_removed(reason="evicted", files=2, bytes=500)
    metrics.access_index_flush(outcome="ok", rows=4, seconds=0.002)
    metrics.job_finished(queue="pregenerate", outcome="done", seconds=0.4)
    metrics.job_queue(queue="pregenerate", waiting=3, dead=1)
