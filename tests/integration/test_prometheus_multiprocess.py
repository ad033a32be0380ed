"""Several processes of one node, one exposition: prometheus_client's multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

PROCESS = """
import sys
from adapters.prometheus import PrometheusMetrics

directory, requests, leave = sys.argv[1], int(sys.argv[2]), sys.argv[3]
metrics = PrometheusMetrics(multiprocess_directory=directory)
for _ in range(requests):
    metrics.http_request(
        route="/x", method="GET", status=200, seconds=0.1, request_bytes=10, response_bytes=20
    )
metrics.requests_in_flight(requests)
if leave == "exit":
    metrics.close()
if leave == "show":
    sys.stdout.write(metrics.exposition()[0].decode())
"""


def run_process(directory: Path, requests: int, leave: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, str(directory), str(requests), leave],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_processes_of_one_node_are_merged_into_one_exposition(tmp_path: Path) -> None:
    run_process(tmp_path, 2, "exit")  # a process that ended cleanly
    run_process(tmp_path, 3, "stay")  # one still serving (its live gauges count)

    text = run_process(tmp_path, 0, "show")

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    labels = (("method", "GET"), ("route", "/x"), ("status", "200"), ("tenant", ""))
    assert samples[("mediastream_http_requests_total", labels)] == 5
    duration = (("method", "GET"), ("route", "/x"), ("status", "200"))
    assert samples[("mediastream_http_request_duration_seconds_count", duration)] == 5
    assert samples[("mediastream_requests_in_flight", ())] == 3
