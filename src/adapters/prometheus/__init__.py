"""Prometheus adapters: the `Metrics` port as prometheus_client series (the only user of it)."""

from adapters.prometheus.metrics import PrometheusMetrics

__all__ = ["PrometheusMetrics"]
