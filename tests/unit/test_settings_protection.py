"""The settings of hostile-input protection, rate limits, CORS and backpressure."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory import MemoryWorkLeases
from adapters.redis import RedisWorkLeases
from domain.rate_limit import WindowStrategy
from entrypoints.composition import build_container, opened
from entrypoints.composition.shared_state import redis_client_for
from entrypoints.settings import Settings, SettingsError, load_settings

NAMES = (
    "RATE_LIMIT_ENABLED",
    "RATE_LIMIT_WINDOW_MS",
    "RATE_LIMIT_MAX_REQUESTS",
    "RATE_LIMIT_IMAGE_MAX_REQUESTS",
    "RATE_LIMIT_STRATEGY",
    "TRUSTED_PROXIES",
    "CORS_ORIGIN",
    "CORS_METHODS",
    "CORS_MAX_AGE",
    "MAX_ANIMATION_PIXELS",
    "IMAGE_PROCESSING_TIMEOUT",
    "IMAGE_QUEUE_MAX",
    "REDIS_URL",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults() -> None:
    settings = load_settings()

    assert settings.RATE_LIMIT_ENABLED is True
    assert settings.RATE_LIMIT_STRATEGY is WindowStrategy.SLIDING
    assert (settings.RATE_LIMIT_WINDOW_MS, settings.RATE_LIMIT_MAX_REQUESTS) == (60_000, 600)
    assert settings.RATE_LIMIT_IMAGE_MAX_REQUESTS == 3_000
    assert settings.TRUSTED_PROXIES == ()
    assert settings.CORS_ORIGIN == ("*",)
    assert settings.CORS_METHODS == ("GET", "HEAD", "OPTIONS")
    assert settings.MAX_ANIMATION_PIXELS == 100_000_000
    assert (settings.IMAGE_PROCESSING_TIMEOUT, settings.IMAGE_QUEUE_MAX) == (20_000, 32)


def test_lists_are_read_from_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32,127.0.0.1")
    monkeypatch.setenv("CORS_ORIGIN", "https://shop.example/, https://cms.example:8443")
    monkeypatch.setenv("CORS_METHODS", "get,head")
    monkeypatch.setenv("RATE_LIMIT_ENABLED", "false")
    monkeypatch.setenv("RATE_LIMIT_STRATEGY", "fixed")

    settings = load_settings()

    assert settings.TRUSTED_PROXIES == ("10.0.0.0/8", "2001:db8::/32", "127.0.0.1")
    assert settings.CORS_ORIGIN == ("https://shop.example", "https://cms.example:8443")
    assert settings.CORS_METHODS == ("GET", "HEAD")
    assert settings.RATE_LIMIT_ENABLED is False
    assert settings.RATE_LIMIT_STRATEGY is WindowStrategy.FIXED


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal"),
        ("CORS_ORIGIN", "shop.example"),
        ("CORS_ORIGIN", "https://shop.example/path"),
        ("CORS_METHODS", "GET,BREW"),
        ("RATE_LIMIT_STRATEGY", "token-bucket"),
        ("RATE_LIMIT_WINDOW_MS", "10"),
        ("RATE_LIMIT_MAX_REQUESTS", "0"),
        ("IMAGE_PROCESSING_TIMEOUT", "1"),
        ("IMAGE_QUEUE_MAX", "-1"),
        ("MAX_ANIMATION_PIXELS", "0"),
    ],
)
def test_an_invalid_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=name):
        load_settings()


async def _leases_of(settings: Settings) -> type:
    container = build_container(settings)
    async with opened(container, container.shared.work_leases):
        return type(container.shared.work_leases())


def test_the_shared_state_is_redis_only_with_a_url() -> None:
    assert asyncio.run(_leases_of(load_settings())) is MemoryWorkLeases
    with_redis = load_settings(REDIS_URL="redis://127.0.0.1:6399/2")
    assert asyncio.run(_leases_of(with_redis)) is RedisWorkLeases
    client = redis_client_for(with_redis)
    assert client.connection_pool.connection_kwargs["port"] == 6399


def test_the_processor_is_wired_with_the_animation_and_time_limits() -> None:
    container = build_container(
        load_settings(MAX_ANIMATION_PIXELS=1234, IMAGE_PROCESSING_TIMEOUT=2500)
    )
    try:
        limits = container.imaging.processor()._limits
        gate = container.imaging.render_gate()
    finally:
        container.imaging.pool().shutdown()

    assert (limits.max_animation_pixels, limits.max_render_seconds) == (1234, 2.5)
    assert gate.queue_fill() == 0.0
