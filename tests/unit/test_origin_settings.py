"""Settings of the origin guards, the policies the container builds from them, and the CLI."""

from __future__ import annotations

import argparse

import pytest

from entrypoints.cli.breaker import node_url, reset_breakers
from entrypoints.cli.main import main
from entrypoints.settings import MIB, SettingsError, load_settings
from entrypoints.settings.origin import breaker_policy, retry_policy, source_caps
from tests.support.server import free_port

NAMES = (
    "BACKEND_URL",
    "VALIDATION_ALLOWED_DOMAINS",
    "INTERNAL_ADMIN_SECRET",
    "HTTP_MAX_RETRIES",
    "HTTP_RETRY_DELAY",
    "HTTP_MAX_RETRY_DELAY",
    "TENANT_DOMAINS_REFRESH_URL",
    "HOST",
    "PORT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_the_defaults() -> None:
    settings = load_settings()

    assert retry_policy(settings).max_retries == 2
    assert retry_policy(settings).base_delay == pytest.approx(0.1)
    assert retry_policy(settings).max_delay == pytest.approx(2.0)
    policy = breaker_policy(settings)
    assert (policy.window, policy.open_for) == (60.0, 30.0)
    assert (policy.minimum_requests, policy.failure_percentage, policy.half_open_probes) == (
        10,
        50,
        3,
    )
    caps = source_caps(settings)
    assert (caps.jpeg, caps.png, caps.webp, caps.gif, caps.svg, caps.other) == (
        5 * MIB,
        8 * MIB,
        3 * MIB,
        2 * MIB,
        1 * MIB,
        10 * MIB,
    )
    assert settings.TENANT_DOMAINS_REFRESH_URL == ""
    assert settings.TENANT_DOMAINS_REFRESH_INTERVAL_MS == 60_000


def test_durations_are_read_in_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_RETRY_DELAY", "250")
    monkeypatch.setenv("HTTP_MAX_RETRY_DELAY", "4000")
    monkeypatch.setenv("HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD", "15000")
    monkeypatch.setenv("HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT", "500")

    settings = load_settings()

    assert retry_policy(settings).base_delay == pytest.approx(0.25)
    assert retry_policy(settings).max_delay == pytest.approx(4.0)
    assert breaker_policy(settings).window == pytest.approx(15.0)
    assert breaker_policy(settings).open_for == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_MAX_RETRIES", "-1"),
        ("HTTP_MAX_RETRIES", "11"),
        ("HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "0"),
        ("HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD", "101"),
        ("HTTP_CIRCUIT_BREAKER_MIN_REQUESTS", "0"),
        ("HTTP_CIRCUIT_BREAKER_HALF_OPEN_REQUESTS", "0"),
        ("HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT", "5"),
        ("HTTP_READ_TIMEOUT", "0"),
        ("TENANT_DOMAINS_REFRESH_URL", "ftp://backend/domains"),
        ("TENANT_DOMAINS_REFRESH_URL", "backend/domains"),
        ("TENANT_DOMAINS_REFRESH_INTERVAL_MS", "10"),
        ("MAX_SOURCE_BYTES_GIF", "100"),
        ("VALIDATION_ALLOWED_DOMAINS", "shop.example,0x7f.1"),
        ("VALIDATION_ALLOWED_DOMAINS", "2130706433"),
        ("BACKEND_URL", "http://0177.0.0.1:8000"),
    ],
)
def test_an_invalid_origin_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_the_max_retry_delay_may_not_be_below_the_retry_delay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_RETRY_DELAY", "500")
    monkeypatch.setenv("HTTP_MAX_RETRY_DELAY", "100")

    with pytest.raises(SettingsError, match="HTTP_MAX_RETRY_DELAY"):
        load_settings()


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 3003, "http://127.0.0.1:3003/x"),
        ("0.0.0.0", 8080, "http://127.0.0.1:8080/x"),
        ("::", 8080, "http://[::1]:8080/x"),
        ("::1", 8080, "http://[::1]:8080/x"),
        ("node-1.internal", 3003, "http://node-1.internal:3003/x"),
    ],
)
def test_the_cli_reaches_the_node_it_would_serve_on(host: str, port: int, url: str) -> None:
    assert node_url(host, port, "/x") == url


def test_breaker_reset_without_a_secret_fails_without_asking(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argparse.Namespace(host="127.0.0.1", port=1, timeout=0.1)

    assert reset_breakers(load_settings(), args) == 1
    assert "INTERNAL_ADMIN_SECRET" in capsys.readouterr().err


def test_breaker_reset_against_no_node_fails_naming_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERNAL_ADMIN_SECRET", "s")
    port = free_port()

    assert main(["breaker", "reset", "--port", str(port), "--timeout", "1"]) == 1
    assert f"http://127.0.0.1:{port}/health/circuit-breaker/reset" in capsys.readouterr().err
