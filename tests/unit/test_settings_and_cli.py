"""Settings from the environment, and the command line refusing bad ones by name."""

from __future__ import annotations

import pytest

from entrypoints.cli.main import EXIT_BAD_SETTINGS, main
from entrypoints.settings import SAMPLES_DIRECTORY, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("PORT", "HOST", "BACKEND_URL", "VALIDATION_ALLOWED_DOMAINS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
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
