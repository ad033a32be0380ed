"""Settings from the environment, and the command line refusing bad ones by name."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from adapters.disk import DiskResultCache
from domain.formats import OutputFormat
from domain.request import ResultKey
from domain.result import ImageResult
from entrypoints.cli.cache import EXIT_BAD_TENANT
from entrypoints.cli.main import EXIT_BAD_SETTINGS, main
from entrypoints.settings import SAMPLES_DIRECTORY, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("PORT", "HOST", "BACKEND_URL", "VALIDATION_ALLOWED_DOMAINS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CACHE_FILE_DIRECTORY", str(tmp_path) + "/cache")
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_serve_the_bundled_samples_on_port_3003() -> None:
    settings = load_settings()

    assert (settings.HOST, settings.PORT) == ("127.0.0.1", 3003)
    assert settings.backend_directory == SAMPLES_DIRECTORY
    assert (SAMPLES_DIRECTORY / "media/webside/uploads/products/foo.jpg").is_file()
    assert settings.backend_host == ""
    assert settings.REDIS_URL == ""


def test_node_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_URL", "https://Shop.Example/")
    monkeypatch.setenv("VALIDATION_ALLOWED_DOMAINS", " shop.example, CDN.Example ")
    monkeypatch.setenv("CACHE_IMAGE_PUBLIC_TTL", "60")

    settings = load_settings()

    assert settings.BACKEND_URL == "https://Shop.Example"
    assert settings.backend_host == "shop.example"
    assert settings.allowed_domains == ("shop.example", "cdn.example")
    assert settings.CACHE_IMAGE_PUBLIC_TTL == 60


def test_an_empty_allow_list_allows_the_backend_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_URL", "http://origin.shop.example:8000/base")

    assert load_settings().allowed_domains == ("origin.shop.example",)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("BACKEND_URL", "ftp://x"),
        ("LOG_LEVEL", "chatty"),
        ("CACHE_MEMORY_MAX_SIZE", "-1"),
        ("REDIS_URL", "http://cache:6379"),
        ("REDIS_PORT", "0"),
        ("REDIS_KEY_PREFIX", "has space"),
        ("REDIS_COMMAND_TIMEOUT", "0"),
        ("CACHE_IMAGE_PRIVATE_TTL", "0"),
        ("CACHE_WARMING_TOP_N", "-1"),
        ("CACHE_WARMING_ENABLED", "maybe"),
    ],
)
def test_an_invalid_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_serve_with_a_bad_setting_exits_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "not-a-port")

    status = main(["serve"])

    assert status == EXIT_BAD_SETTINGS
    assert "PORT" in capsys.readouterr().err


def test_redis_is_off_by_default_and_configured_by_url_or_by_node_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().redis_url == ""
    monkeypatch.setenv("REDIS_HOST", "cache.internal")
    monkeypatch.setenv("REDIS_PORT", "6380")
    monkeypatch.setenv("REDIS_PASSWORD", "p@ss word")
    monkeypatch.setenv("REDIS_DB", "3")
    assert load_settings().redis_url == "redis://:p%40ss%20word@cache.internal:6380/3"
    monkeypatch.setenv("REDIS_URL", "rediss://other:6379/0")
    assert load_settings().redis_url == "rediss://other:6379/0"


def test_cache_flush_tenant_refuses_an_invalid_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["cache", "flush-tenant", "Not-A-Schema"])

    assert status == EXIT_BAD_TENANT
    assert "Not-A-Schema" in capsys.readouterr().err


def test_cache_stats_and_flush_tenant_count_what_is_on_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    disk = DiskResultCache(tmp_path / "cache")
    for name, tenant in (("a", "acme"), ("b", "acme"), ("c", "other")):
        digest = hashlib.sha256(name.encode()).hexdigest()
        entry = ImageResult.of(b"x" * 100, OutputFormat.PNG, 0)
        asyncio.run(disk.put(ResultKey(tenant, digest), entry))

    stats_status = main(["cache", "stats"])
    stats = json.loads(capsys.readouterr().out)
    flush_status = main(["cache", "flush-tenant", "acme"])
    flush = json.loads(capsys.readouterr().out)
    main(["cache", "stats"])
    after = json.loads(capsys.readouterr().out)

    assert stats_status == flush_status == 0
    assert stats["redis"] == {"status": "disabled"}
    assert stats["disk"]["results"] == 3
    assert stats["disk"]["bytes"] > 300
    assert "per process" in stats["memory"]
    assert flush["flushed"] is True
    assert flush["results"]["disk"] == 2
    assert after["disk"]["results"] == 1
