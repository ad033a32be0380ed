"""The Grafana dashboard and the alert rules in docs/monitoring use only series we expose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from adapters.prometheus import PrometheusMetrics
from tests.support.metrics import exercise

MONITORING = Path(__file__).resolve().parents[2] / "docs" / "monitoring"
SERIES = re.compile(r"\bmediastream_[a-z_]+")


def exposed_series() -> set[str]:
    metrics = PrometheusMetrics()
    exercise(metrics)
    text = metrics.exposition()[0].decode()
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((MONITORING / "alert-rules.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_dashboard_and_the_alerts_query_only_exposed_series() -> None:
    exposed = exposed_series()
    expressions = dashboard_expressions() + alert_expressions()

    used = {name for expression in expressions for name in SERIES.findall(expression)}

    assert len(expressions) > 30
    assert used - exposed == set()


def test_every_node_service_metric_name_is_kept_and_charted() -> None:
    kept = {
        "mediastream_http_requests_total",
        "mediastream_http_request_duration_seconds_bucket",
        "mediastream_http_request_size_bytes_count",
        "mediastream_http_response_size_bytes_bucket",
        "mediastream_requests_in_flight",
        "mediastream_cache_operations_total",
        "mediastream_cache_operation_duration_seconds_bucket",
        "mediastream_cache_hit_ratio",
        "mediastream_image_processing_total",
        "mediastream_image_processing_duration_seconds_bucket",
        "mediastream_image_processing_errors_total",
        "mediastream_errors_total",
        "mediastream_rate_limit_attempts_total",
        "mediastream_rate_limit_blocked_total",
        "mediastream_memory_usage_bytes",
        "mediastream_cpu_usage_percent",
        "mediastream_disk_space_usage_bytes",
        "mediastream_uptime_seconds",
        "mediastream_event_loop_lag_seconds",
    }
    charted = {name for expr in dashboard_expressions() for name in SERIES.findall(expr)}

    assert kept <= exposed_series()
    assert kept - {"mediastream_http_request_size_bytes_count"} <= charted
