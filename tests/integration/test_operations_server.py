"""The real server, operated: metrics scraped, health, logs, SIGHUP reloads, SIGTERM drains."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import images
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

PREFIX = "/media_stream-image/media/acme/uploads"
MEDIA_ROUTE = "/media_stream-image/media/{tenant}/uploads/..."
SECRET = "integration-secret"
JPEG = images.jpeg(400, 300)
ORIGIN_ROUTES = {
    "/media/acme/uploads/photo.jpg": Reply(headers={"Content-Type": "image/jpeg"}, body=JPEG),
    "/media/acme/uploads/slow.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=JPEG, delay=1.5
    ),
    "/media/acme/uploads/stuck.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=JPEG, delay=30
    ),
}


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ORIGIN_ROUTES) as running:
        yield running


def env_for(origin: LoopbackOrigin, root: Path, **extra: str) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(root / "cache"),
        "LOG_LEVEL": "info",
        "IMAGE_WORKER_THREADS": "2",
        "INTERNAL_ADMIN_SECRET": SECRET,
        "MONITORING_INTERVAL": "100",
        **extra,
    }


@pytest.fixture(scope="module")
def server(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("operated")
    with RunningServer(env_for(origin, root), root / "server.log") as running:
        yield running


def image_url(width: int, name: str = "photo.jpg") -> str:
    return f"{PREFIX}/{name}/{width}/60/cover/center/transparent/0/80.webp"


def scrape(server: RunningServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(server.url("/metrics"), headers={"X-Internal-Secret": SECRET}, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


# -- one server for the read-only checks -----------------------------------------------------


def test_scraped_counters_grow_by_exactly_the_requests_made(server: RunningServer) -> None:
    ok = {"method": "GET", "route": MEDIA_ROUTE, "status": "200"}
    bad = {"method": "GET", "route": MEDIA_ROUTE, "status": "400", "tenant": ""}
    before = scrape(server)

    statuses = [
        httpx.get(server.url(image_url(width)), timeout=30).status_code for width in (90, 91, 90)
    ]
    refused = httpx.get(server.url(image_url(9000)), timeout=30)
    after = scrape(server)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 400

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("mediastream_http_requests_total", **ok, tenant="acme") == 3
    assert grew("mediastream_http_requests_total", **bad) == 1
    assert grew("mediastream_http_request_duration_seconds_count", **ok) == 3
    assert grew("mediastream_http_request_duration_seconds_sum", **ok) > 0
    assert grew("mediastream_errors_total", kind="http", code="400") == 1
    scrapes = {"method": "GET", "route": "/metrics", "status": "200", "tenant": ""}
    assert grew("mediastream_http_requests_total", **scrapes) == 1  # the first scrape
    assert sample(after, "mediastream_requests_in_flight") == 1  # this scrape
    assert not any(
        name == "mediastream_http_requests_total" and ("route", image_url(90)) in labels
        for name, labels in after
    )


def test_process_metrics_are_sampled_in_the_background(server: RunningServer) -> None:
    wait_for(lambda: sample(scrape(server), "mediastream_uptime_seconds") > 0)
    first = scrape(server)
    time.sleep(0.3)
    second = scrape(server)

    assert sample(first, "mediastream_memory_usage_bytes", type="rss") > 10 * 2**20
    assert sample(first, "mediastream_disk_space_usage_bytes", type="total") > 0
    assert sample(first, "mediastream_threads") >= 1
    assert sample(second, "mediastream_uptime_seconds") > sample(
        first, "mediastream_uptime_seconds"
    )
    assert 0 <= sample(second, "mediastream_event_loop_lag_seconds") < 1


def test_metrics_without_the_secret_is_401_json(server: RunningServer) -> None:
    response = httpx.get(server.url("/metrics"), headers={"X-Internal-Secret": "nope"})

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_health_and_detailed_health_from_loopback(server: RunningServer) -> None:
    health = httpx.get(server.url("/health"))
    detailed = httpx.get(server.url("/health/detailed"))

    assert health.status_code == 200
    assert health.json()["checks"]["origin"] == {
        "status": "up",
        "details": {"kind": "http", "allowed": True},
    }
    body = detailed.json()
    assert detailed.status_code == 200
    assert set(body["checks"]) == set(health.json()["checks"])
    assert body["versions"]["media-stream"] == "0.1.0"
    assert body["uptimeSeconds"] > 0
    assert body["resources"]["rssBytes"] > 0


def test_answers_carry_server_timing_and_logs_are_json_lines_with_the_id(
    server: RunningServer,
) -> None:
    response = httpx.get(
        server.url(image_url(77)), headers={"X-Correlation-ID": "it-77"}, timeout=30
    )

    phases = [entry.split(";")[0] for entry in response.headers["server-timing"].split(", ")]
    assert phases[-1] == "total"
    assert {"cache", "fetch", "transform"} <= set(phases)

    def access_line() -> list[dict[str, object]]:
        return [
            record
            for record in server.log_records()
            if record.get("correlationId") == "it-77" and record["logger"] == "media_stream.access"
        ]

    wait_for(lambda: bool(access_line()))
    [line] = access_line()
    assert line["route"] == MEDIA_ROUTE
    assert line["status"] == 200
    assert isinstance(line["durationMs"], float)
    assert line["durationMs"] > 0
    assert line["level"] == "info"
    assert str(line["timestamp"]).endswith("Z")


# -- reload --------------------------------------------------------------------------------


def test_sighup_applies_a_changed_env_file_without_a_restart(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    env_file = tmp_path / "media.env"
    settings = {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(tmp_path / "cache"),
        "INTERNAL_ADMIN_SECRET": SECRET,
        "CACHE_IMAGE_PUBLIC_TTL": "100",
    }
    env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    url = image_url(64)

    with RunningServer({"LOG_LEVEL": "info"}, tmp_path / "server.log", env_file=env_file) as server:
        pid = server.pid
        before = httpx.get(server.url(url), timeout=30).headers["cache-control"]
        env_file.write_text(
            env_file.read_text()
            .replace("CACHE_IMAGE_PUBLIC_TTL=100", "CACHE_IMAGE_PUBLIC_TTL=200")
            .replace(str(tmp_path / "cache"), str(tmp_path / "elsewhere"))
        )
        server.send_signal(signal.SIGHUP)
        wait_for(
            lambda: (
                "max-age=200," in httpx.get(server.url(url), timeout=30).headers["cache-control"]
            )
        )

        env_file.write_text(env_file.read_text().replace("=200", "=300"))
        reloaded = subprocess.run(
            [
                sys.executable,
                "-m",
                "entrypoints.cli.main",
                "config",
                "reload",
                "--url",
                server.base_url,
            ],
            env={"ENV_FILE": str(env_file), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        after_cli = httpx.get(server.url(url), timeout=30).headers["cache-control"]

        assert server.alive
        assert server.pid == pid
        logs = server.log_text()

    assert before.startswith("public, max-age=100, s-maxage=100,")
    assert reloaded.returncode == 0, reloaded.stderr
    assert '"applied": [\n    "CACHE_IMAGE_PUBLIC_TTL"' in reloaded.stdout
    assert after_cli.startswith("public, max-age=300, s-maxage=300,")
    assert "CACHE_FILE_DIRECTORY changed: needs a restart, not applied" in logs
    assert not (tmp_path / "elsewhere").exists()  # the critical change was not applied


# -- shutdown ------------------------------------------------------------------------------


def in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_sigterm_drains_a_slow_request_then_exits_0(origin: LoopbackOrigin, tmp_path: Path) -> None:
    with RunningServer(env_for(origin, tmp_path), tmp_path / "server.log") as server:
        asked = origin.paths.count("/media/acme/uploads/slow.jpg")
        slow_url = server.url(image_url(120, "slow.jpg"))
        thread, outcome = in_background(lambda: httpx.get(slow_url, timeout=30))
        wait_for(lambda: origin.paths.count("/media/acme/uploads/slow.jpg") > asked)

        server.send_signal(signal.SIGTERM)
        wait_for(lambda: httpx.get(server.url("/health/ready")).status_code == 503)
        live = httpx.get(server.url("/health/live"))
        refused = httpx.get(server.url(image_url(33)), headers={"X-Correlation-ID": "too-late"})
        thread.join(30)
        status = server.wait(15)
        logs = server.log_text()

    [answer] = outcome
    assert isinstance(answer, httpx.Response)
    assert answer.status_code == 200
    assert images.open_image(answer.content).size == (120, 60)
    assert live.status_code == 200
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.json()["code"] == "SERVICE_UNAVAILABLE"
    assert refused.json()["correlationId"] == "too-late"
    assert status == 0
    assert "drained: no request in flight" in logs
    assert logs.index("drained") < logs.index("Application shutdown complete")


def test_a_second_signal_forces_the_exit(origin: LoopbackOrigin, tmp_path: Path) -> None:
    with RunningServer(env_for(origin, tmp_path), tmp_path / "server.log") as server:
        asked = origin.paths.count("/media/acme/uploads/stuck.jpg")
        in_background(lambda: httpx.get(server.url(image_url(10, "stuck.jpg")), timeout=30))
        wait_for(lambda: origin.paths.count("/media/acme/uploads/stuck.jpg") > asked)

        server.send_signal(signal.SIGTERM)
        wait_for(lambda: httpx.get(server.url("/health/ready")).status_code == 503)
        started = time.monotonic()
        server.send_signal(signal.SIGINT)
        status = server.wait(10)

        assert status == 1
        assert time.monotonic() - started < 3
        assert "forced exit: second stop signal (SIGINT)" in server.log_text()


def test_the_force_timeout_ends_a_shutdown_that_takes_too_long(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    env = env_for(origin, tmp_path, SHUTDOWN_TIMEOUT="200", SHUTDOWN_FORCE_TIMEOUT="700")
    with RunningServer(env, tmp_path / "server.log") as server:
        asked = origin.paths.count("/media/acme/uploads/stuck.jpg")
        in_background(lambda: httpx.get(server.url(image_url(11, "stuck.jpg")), timeout=30))
        wait_for(lambda: origin.paths.count("/media/acme/uploads/stuck.jpg") > asked)
        started = time.monotonic()

        server.send_signal(signal.SIGTERM)
        status = server.wait(10)

        assert status == 1
        assert time.monotonic() - started < 3
        logs = server.log_text()
        assert "SHUTDOWN_TIMEOUT reached with 1 request(s) in flight" in logs
        assert "forced exit: SHUTDOWN_FORCE_TIMEOUT (700 ms) reached" in logs


def test_requests_still_running_at_the_shutdown_timeout_are_cut_and_the_exit_is_clean(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    env = env_for(origin, tmp_path, SHUTDOWN_TIMEOUT="200", SHUTDOWN_FORCE_TIMEOUT="10000")
    with RunningServer(env, tmp_path / "server.log") as server:
        asked = origin.paths.count("/media/acme/uploads/stuck.jpg")
        url = server.url(image_url(12, "stuck.jpg"))
        thread, outcome = in_background(lambda: httpx.get(url, timeout=30))
        wait_for(lambda: origin.paths.count("/media/acme/uploads/stuck.jpg") > asked)

        server.send_signal(signal.SIGTERM)
        status = server.wait(10)
        thread.join(10)
        logs = server.log_text()

    assert status == 0
    assert "SHUTDOWN_TIMEOUT reached with 1 request(s) in flight: cutting them off" in logs
    assert "Application shutdown complete" in logs  # resources were still closed in order
    [cut] = outcome
    assert not (isinstance(cut, httpx.Response) and cut.status_code == 200)


def test_sighup_applies_a_new_rate_limit_without_a_restart(
    origin: LoopbackOrigin, tmp_path: Path
) -> None:
    env_file = tmp_path / "media.env"
    env_file.write_text(
        f"BACKEND_URL={origin.base_url}\n"
        f"CACHE_FILE_DIRECTORY={tmp_path / 'cache'}\n"
        "RATE_LIMIT_MAX_REQUESTS=50\n"
    )

    def limit(server: RunningServer) -> int:
        return int(httpx.get(server.url("/robots.txt"), timeout=30).headers["x-ratelimit-limit"])

    with RunningServer({"LOG_LEVEL": "info"}, tmp_path / "server.log", env_file=env_file) as server:
        pid = server.pid
        before = limit(server)
        env_file.write_text(env_file.read_text().replace("=50", "=7"))
        server.send_signal(signal.SIGHUP)
        wait_for(lambda: limit(server) <= 7)
        after = limit(server)
        same_process = server.pid == pid

    # under load the limits shrink to a fifth at most, so 50 never reads as 7 or less
    assert before > 7
    assert 1 <= after <= 7
    assert same_process
