"""Settings: every problem named at once, the env file, reloads, and `media-stream config`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from entrypoints.cli.main import EXIT_BAD_SETTINGS, main
from entrypoints.settings import (
    CRITICAL,
    REDACTED,
    RELOADABLE,
    LiveHostAllowList,
    LiveSettings,
    Settings,
    SettingsError,
    load_settings,
    redacted,
)

BAD = {
    "PORT": "eighty",
    "LOG_LEVEL": "chatty",
    "LOG_FORMAT": "xml",
    "CACHE_MEMORY_MAX_SIZE": "-1",
    "BACKEND_URL": "ftp://nope",
    "PERFORMANCE_THRESHOLDS_MS": "total",
    "SHUTDOWN_TIMEOUT": "60000",  # valid alone, but not below the force timeout (30000)
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in {*BAD, "HOST", "VALIDATION_ALLOWED_DOMAINS", "ENV_FILE", "CACHE_IMAGE_PUBLIC_TTL"}:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("INTERNAL_ADMIN_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, **values: str) -> Path:
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


def test_every_invalid_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in BAD.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    for name in {*BAD, "SHUTDOWN_FORCE_TIMEOUT"} - {"SHUTDOWN_TIMEOUT"}:
        assert f"{name}:" in message, name
    assert "must be greater than SHUTDOWN_TIMEOUT" in message


def test_the_command_line_lists_every_problem_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in BAD.items():
        monkeypatch.setenv(name, value)

    status = main(["config", "check"])

    error = capsys.readouterr().err
    assert status == EXIT_BAD_SETTINGS
    assert all(name in error for name in BAD if name != "SHUTDOWN_TIMEOUT")


def test_warn_thresholds_must_not_exceed_down_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTH_DISK_WARN_PERCENT", "99")
    monkeypatch.setenv("HEALTH_MEMORY_DOWN_PERCENT", "50")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "HEALTH_DISK_DOWN_PERCENT: " in str(raised.value)
    assert "HEALTH_MEMORY_DOWN_PERCENT: " in str(raised.value)


def test_settings_come_from_env_file_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = write(tmp_path / "media.env", CACHE_IMAGE_PUBLIC_TTL="60", PORT="4000")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    monkeypatch.setenv("PORT", "5000")

    settings = load_settings()

    assert (settings.CACHE_IMAGE_PUBLIC_TTL, settings.PORT) == (60, 5000)


def test_phase_thresholds_are_parsed_from_a_list() -> None:
    settings = Settings(PERFORMANCE_THRESHOLDS_MS="total=2500, fetch = 900")  # type: ignore[arg-type]

    assert settings.PERFORMANCE_THRESHOLDS_MS == {"total": 2500, "fetch": 900}


def test_a_reload_applies_reloadable_settings_and_only_logs_critical_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env_file = write(tmp_path / ".env", CACHE_IMAGE_PUBLIC_TTL="60", CACHE_FILE_DIRECTORY="a")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    live = LiveSettings(load_settings())
    seen: list[Settings] = []
    live.subscribe(seen.append)
    write(
        env_file,
        CACHE_IMAGE_PUBLIC_TTL="120",
        CACHE_FILE_DIRECTORY="b",
        LOG_LEVEL="debug",
        CACHE_MEMORY_MAX_KEYS="5",
    )
    caplog.set_level(logging.INFO, logger="entrypoints.settings")

    outcome = live.reload()

    assert set(outcome.applied) == {"CACHE_IMAGE_PUBLIC_TTL", "LOG_LEVEL"}
    assert set(outcome.needs_restart) == {"CACHE_FILE_DIRECTORY", "CACHE_MEMORY_MAX_KEYS"}
    assert live.current.CACHE_IMAGE_PUBLIC_TTL == 120
    assert live.current.LOG_LEVEL == "debug"
    assert str(live.current.CACHE_FILE_DIRECTORY) == "a"
    assert live.current.CACHE_MEMORY_MAX_KEYS == 10_000
    assert seen == [live.current]
    assert "CACHE_FILE_DIRECTORY changed: needs a restart, not applied" in caplog.text


def test_an_invalid_file_changes_nothing_and_names_the_problems(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = write(tmp_path / ".env", CACHE_IMAGE_PUBLIC_TTL="60")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    live = LiveSettings(load_settings())
    write(env_file, CACHE_IMAGE_PUBLIC_TTL="-5", SLOW_REQUEST_THRESHOLD_MS="soon")

    outcome = live.reload()

    assert outcome.applied == ()
    assert "CACHE_IMAGE_PUBLIC_TTL" in outcome.problems[0]
    assert "SLOW_REQUEST_THRESHOLD_MS" in outcome.problems[0]
    assert live.current.CACHE_IMAGE_PUBLIC_TTL == 60


def test_the_live_allow_list_follows_reloads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = write(tmp_path / ".env", VALIDATION_ALLOWED_DOMAINS="shop.example")
    monkeypatch.setenv("ENV_FILE", str(env_file))
    live = LiveSettings(load_settings())
    allow_list = LiveHostAllowList(live)
    before = allow_list.permits("cdn.other.example")

    write(env_file, VALIDATION_ALLOWED_DOMAINS="shop.example,other.example")
    live.reload()

    assert (before, allow_list.permits("cdn.other.example")) == (False, True)
    assert allow_list.permits("shop.example")


def test_show_redacts_secrets_and_url_passwords() -> None:
    settings = Settings(
        INTERNAL_ADMIN_SECRET="hunter2",
        REDIS_URL="redis://user:pa55@redis.internal:6379/0",
        VALIDATION_ALLOWED_DOMAINS="a.example,b.example",  # type: ignore[arg-type]
    )

    shown = redacted(settings)

    assert shown["INTERNAL_ADMIN_SECRET"] == REDACTED
    assert shown["REDIS_URL"] == f"redis://user:{REDACTED}@redis.internal:6379/0"
    assert shown["VALIDATION_ALLOWED_DOMAINS"] == "a.example,b.example"
    assert "hunter2" not in json.dumps(shown, default=str)
    assert redacted(Settings())["INTERNAL_ADMIN_SECRET"] == ""  # unset stays visibly unset


def test_config_show_and_check_print_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENV_FILE", str(write(tmp_path / "x.env", INTERNAL_ADMIN_SECRET="hunter2")))

    assert main(["config", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert main(["config", "show", "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert main(["config", "check"]) == 0
    checked = capsys.readouterr().out

    assert f"INTERNAL_ADMIN_SECRET={REDACTED}  # x.env" in lines
    assert "PORT=3003  # default" in lines
    assert as_json["INTERNAL_ADMIN_SECRET"] == {"value": REDACTED, "source": "x.env"}
    assert as_json["SHUTDOWN_TIMEOUT"] == {"value": 25_000, "source": "default"}
    assert checked.startswith("settings OK")
    assert "x.env: read" in checked


def test_config_reload_without_a_server_fails_clearly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["config", "reload", "--url", "http://127.0.0.1:9"])

    assert status == 1
    assert "no server answered at http://127.0.0.1:9" in capsys.readouterr().err


def test_every_setting_is_documented_in_the_readme_and_reloadables_exist() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    undocumented = [name for name in Settings.model_fields if f"`{name}`" not in readme]

    assert undocumented == []
    assert set(RELOADABLE) <= set(Settings.model_fields)
    assert not set(CRITICAL) & RELOADABLE
