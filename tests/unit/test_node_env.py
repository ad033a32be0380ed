"""The Node service's whole `.env` keeps working: every variable honoured or reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrypoints.cli.main import main
from entrypoints.settings import (
    LiveSettings,
    Settings,
    SettingsError,
    inspect_environment,
    load_settings,
)
from entrypoints.settings.node_env import ALIASES, NODE_VARIABLES, SAME_NAME, reported_why

# Node variable -> (a value an operator might have, the setting it lands in, its value then)
HONOURED: dict[str, tuple[str, str, object]] = {
    "PORT": ("8080", "PORT", 8080),
    "HOST": ("0.0.0.0", "HOST", "0.0.0.0"),
    "CORS_ORIGIN": ("https://shop.example", "CORS_ORIGIN", ("https://shop.example",)),
    "CORS_METHODS": ("GET", "CORS_METHODS", ("GET",)),
    "CORS_MAX_AGE": ("600", "CORS_MAX_AGE", 600),
    "CACHE_MEMORY_MAX_SIZE": ("104857600", "CACHE_MEMORY_MAX_SIZE", 104_857_600),
    "CACHE_MEMORY_MAX_KEYS": ("1000", "CACHE_MEMORY_MAX_KEYS", 1000),
    "CACHE_MEMORY_WARNING_THRESHOLD": ("80", "CACHE_MEMORY_WARNING_THRESHOLD", 80.0),
    "REDIS_HOST": ("cache.internal", "REDIS_HOST", "cache.internal"),
    "REDIS_PORT": ("6380", "REDIS_PORT", 6380),
    "REDIS_PASSWORD": ("pw", "REDIS_PASSWORD", "pw"),
    "REDIS_DB": ("2", "REDIS_DB", 2),
    "CACHE_FILE_DIRECTORY": ("./storage", "CACHE_FILE_DIRECTORY", Path("storage")),
    "CACHE_WARMING_ENABLED": ("false", "CACHE_WARMING_ENABLED", False),
    "CACHE_WARMING_ON_START": ("false", "CACHE_WARMING_ON_START", False),
    "CACHE_WARMING_THRESHOLD": ("5", "CACHE_WARMING_THRESHOLD", 5),
    "CACHE_WARMING_CRON": ("0 */6 * * *", "CACHE_WARMING_CRON", "0 */6 * * *"),
    "CACHE_IMAGE_PUBLIC_TTL": ("600", "CACHE_IMAGE_PUBLIC_TTL", 600),
    "CACHE_IMAGE_PRIVATE_TTL": ("15552000", "CACHE_IMAGE_PRIVATE_TTL", 15_552_000),
    "CACHE_IMAGE_NEGATIVE_TTL": ("60", "CACHE_IMAGE_NEGATIVE_TTL", 60),
    "MONITORING_ENABLED": ("false", "MONITORING_ENABLED", False),
    "BACKEND_URL": ("http://localhost:8000", "BACKEND_URL", "http://localhost:8000"),
    "EXTERNAL_REQUEST_TIMEOUT": ("30000", "EXTERNAL_REQUEST_TIMEOUT", 30_000),
    "HTTP_TIMEOUT": ("30000", "HTTP_TIMEOUT", 30_000),
    "HTTP_MAX_RETRIES": ("3", "HTTP_MAX_RETRIES", 3),
    "HTTP_RETRY_DELAY": ("1000", "HTTP_RETRY_DELAY", 1000),
    "HTTP_MAX_RETRY_DELAY": ("10000", "HTTP_MAX_RETRY_DELAY", 10_000),
    "HTTP_POOL_MAX_SOCKETS": ("20", "HTTP_POOL_MAX_SOCKETS", 20),
    "HTTP_POOL_KEEP_ALIVE_MS": ("1000", "HTTP_POOL_KEEP_ALIVE_MS", 1000),
    "HTTP_CIRCUIT_BREAKER_ENABLED": ("false", "HTTP_CIRCUIT_BREAKER_ENABLED", False),
    "HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD": (
        "40",
        "HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD",
        40,
    ),
    "HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT": ("10000", "HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT", 10_000),
    "HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD": (
        "30000",
        "HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD",
        30_000,
    ),
    "HTTP_HEALTH_CHECK_URLS": (
        "http://backend:8000/health",
        "HTTP_HEALTH_CHECK_URLS",
        ("http://backend:8000/health",),
    ),
    "HTTP_HEALTH_CHECK_TIMEOUT": ("3000", "HTTP_HEALTH_CHECK_TIMEOUT", 3000),
    "RATE_LIMIT_ENABLED": ("false", "RATE_LIMIT_ENABLED", False),
    "RATE_LIMIT_BYPASS_HEALTH_CHECKS": ("false", "RATE_LIMIT_BYPASS_HEALTH_CHECKS", False),
    "RATE_LIMIT_BYPASS_STATIC_ASSETS": ("false", "RATE_LIMIT_BYPASS_STATIC_ASSETS", False),
    "RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS": (
        "Example.com,*.example.com",
        "RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS",
        ("example.com", "*.example.com"),
    ),
    "RATE_LIMIT_BYPASS_BOTS": ("false", "RATE_LIMIT_BYPASS_BOTS", False),
    "VALIDATION_ALLOWED_DOMAINS": (
        "localhost,webside.gr",
        "VALIDATION_ALLOWED_DOMAINS",
        ("localhost", "webside.gr"),
    ),
    "VALIDATION_MAX_STRING_LENGTH": ("10000", "VALIDATION_MAX_STRING_LENGTH", 10_000),
    "TENANT_DOMAINS_REFRESH_URL": (
        "http://backend:8000/domains",
        "TENANT_DOMAINS_REFRESH_URL",
        "http://backend:8000/domains",
    ),
    "INTERNAL_DOMAINS_SECRET": ("s3cret", "INTERNAL_DOMAINS_SECRET", "s3cret"),
    "TENANT_DOMAINS_REFRESH_INTERVAL_MS": ("300000", "TENANT_DOMAINS_REFRESH_INTERVAL_MS", 300_000),
    "SHUTDOWN_TIMEOUT": ("20000", "SHUTDOWN_TIMEOUT", 20_000),
    "SHUTDOWN_FORCE_TIMEOUT": ("60000", "SHUTDOWN_FORCE_TIMEOUT", 60_000),
    "INTERNAL_ADMIN_SECRET": ("admin", "INTERNAL_ADMIN_SECRET", "admin"),
    "STORAGE_MAX_SIZE": ("2147483648", "STORAGE_MAX_SIZE", 2_147_483_648),
    "STORAGE_MAX_FILE_AGE_DAYS": ("14", "STORAGE_MAX_FILE_AGE_DAYS", 14.0),
    "STORAGE_WARNING_SIZE": ("1000", "STORAGE_WARNING_SIZE", 1000),
    "STORAGE_CRITICAL_SIZE": ("2000", "STORAGE_CRITICAL_SIZE", 2000),
    "STORAGE_WARNING_FILE_COUNT": ("100", "STORAGE_WARNING_FILE_COUNT", 100),
    "STORAGE_CRITICAL_FILE_COUNT": ("200", "STORAGE_CRITICAL_FILE_COUNT", 200),
    "STORAGE_CLEANUP_ENABLED": ("false", "STORAGE_CLEANUP_ENABLED", False),
    "STORAGE_CLEANUP_CRON": ("30 3 * * *", "STORAGE_CLEANUP_CRON", "30 3 * * *"),
    "STORAGE_CLEANUP_DRY_RUN": ("true", "STORAGE_CLEANUP_DRY_RUN", True),
    "STORAGE_CLEANUP_MAX_DURATION": ("60000", "STORAGE_CLEANUP_MAX_DURATION", 60_000),
    "STORAGE_EVICTION_STRATEGY": ("size-based", "STORAGE_EVICTION_STRATEGY", "size"),
    "STORAGE_EVICTION_AGGRESSIVENESS": (
        "aggressive",
        "STORAGE_EVICTION_AGGRESSIVENESS",
        "aggressive",
    ),
    "STORAGE_EVICTION_PRESERVE_POPULAR": ("false", "STORAGE_EVICTION_PRESERVE_POPULAR", False),
    "STORAGE_EVICTION_MIN_ACCESS_COUNT": ("10", "STORAGE_EVICTION_MIN_ACCESS_COUNT", 10),
    "STORAGE_EVICTION_MAX_FILE_AGE_DAYS": ("3", "STORAGE_EVICTION_MAX_FILE_AGE_DAYS", 3.0),
    # Node names of our settings, in the Node unit
    "RATE_LIMIT_DEFAULT_WINDOW_MS": ("30000", "RATE_LIMIT_WINDOW_MS", 30_000),
    "RATE_LIMIT_DEFAULT_MAX": ("500", "RATE_LIMIT_MAX_REQUESTS", 500),
    "RATE_LIMIT_IMAGE_PROCESSING_WINDOW_MS": ("30000", "RATE_LIMIT_IMAGE_WINDOW_MS", 30_000),
    "RATE_LIMIT_IMAGE_PROCESSING_MAX": ("5", "RATE_LIMIT_IMAGE_MAX_REQUESTS", 5),
    "RATE_LIMIT_HEALTH_CHECK_WINDOW_MS": ("5000", "RATE_LIMIT_HEALTH_WINDOW_MS", 5000),
    "RATE_LIMIT_HEALTH_CHECK_MAX": ("50", "RATE_LIMIT_HEALTH_MAX_REQUESTS", 50),
    "CACHE_MEMORY_DEFAULT_TTL": ("3600", "CACHE_MEMORY_TTL", 3600),
    "CACHE_WARMING_MAX_FILES": ("50", "CACHE_WARMING_TOP_N", 50),
    "HTTP_CIRCUIT_BREAKER_MINIMUM_REQUESTS": ("20", "HTTP_CIRCUIT_BREAKER_MIN_REQUESTS", 20),
    "MONITORING_SYSTEM_METRICS_INTERVAL": ("60000", "MONITORING_INTERVAL", 60_000),
    "MONITORING_PERFORMANCE_METRICS_INTERVAL": (
        "30000",
        "MONITORING_PERFORMANCE_INTERVAL",
        30_000,
    ),
    "PROCESSING_CPU_CORES": ("3.5", "IMAGE_WORKER_THREADS", 4),
}

# The Node service's own .env.example, as an operator keeps it.
NODE_ENV_EXAMPLE = """\
NODE_ENV=development
PORT=3003
HOST=0.0.0.0
CORS_ORIGIN=*
CORS_METHODS=GET
CORS_MAX_AGE=86400
CACHE_MEMORY_MAX_SIZE=104857600
CACHE_MEMORY_DEFAULT_TTL=3600
CACHE_MEMORY_CHECK_PERIOD=600
CACHE_MEMORY_MAX_KEYS=1000
CACHE_MEMORY_WARNING_THRESHOLD=80
REDIS_HOST=localhost
REDIS_PORT=6379
REDIS_PASSWORD=
REDIS_DB=0
REDIS_TTL=7200
REDIS_MAX_RETRIES=3
REDIS_HEALTH_CACHE_TTL=10000
CACHE_FILE_DIRECTORY=./storage
CACHE_WARMING_ENABLED=true
CACHE_WARMING_ON_START=true
CACHE_WARMING_MAX_FILES=50
CACHE_WARMING_CRON=0 */6 * * *
CACHE_WARMING_THRESHOLD=5
CACHE_WARMING_BASE_TTL=3600
CACHE_PRELOADING_ENABLED=false
CACHE_PRELOADING_INTERVAL=300000
CACHE_IMAGE_PUBLIC_TTL=31104000
CACHE_IMAGE_PRIVATE_TTL=15552000
CACHE_IMAGE_NEGATIVE_TTL=300
PROCESSING_CPU_CORES=1.5
MONITORING_ENABLED=true
MONITORING_SYSTEM_METRICS_INTERVAL=60000
MONITORING_PERFORMANCE_METRICS_INTERVAL=30000
BACKEND_URL=http://localhost:8000
EXTERNAL_REQUEST_TIMEOUT=30000
HTTP_TIMEOUT=30000
HTTP_MAX_RETRIES=3
HTTP_RETRY_DELAY=1000
HTTP_MAX_RETRY_DELAY=10000
HTTP_POOL_MAX_SOCKETS=50
HTTP_POOL_KEEP_ALIVE_MS=1000
HTTP_CIRCUIT_BREAKER_ENABLED=true
HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD=50
HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT=30000
HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD=60000
HTTP_CIRCUIT_BREAKER_MINIMUM_REQUESTS=10
HTTP_HEALTH_CHECK_URLS=
HTTP_HEALTH_CHECK_TIMEOUT=5000
RATE_LIMIT_ENABLED=true
RATE_LIMIT_DEFAULT_WINDOW_MS=60000
RATE_LIMIT_DEFAULT_MAX=500
RATE_LIMIT_IMAGE_PROCESSING_WINDOW_MS=60000
RATE_LIMIT_IMAGE_PROCESSING_MAX=300
RATE_LIMIT_HEALTH_CHECK_WINDOW_MS=10000
RATE_LIMIT_HEALTH_CHECK_MAX=1000
RATE_LIMIT_BYPASS_HEALTH_CHECKS=true
RATE_LIMIT_BYPASS_STATIC_ASSETS=true
RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS=example.com,*.example.com
RATE_LIMIT_BYPASS_BOTS=true
VALIDATION_ALLOWED_DOMAINS=
VALIDATION_MAX_STRING_LENGTH=10000
INTERNAL_DOMAINS_SECRET=
TENANT_DOMAINS_REFRESH_URL=
TENANT_DOMAINS_REFRESH_INTERVAL_MS=300000
STORAGE_MAX_SIZE=1073741824
STORAGE_CLEANUP_CRON=0 2 * * *
STORAGE_EVICTION_STRATEGY=intelligent
SHUTDOWN_TIMEOUT=30000
SHUTDOWN_FORCE_TIMEOUT=60000
INTERNAL_ADMIN_SECRET=
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No variable of ours or of the Node service from the machine running the tests."""
    for name in {*NODE_VARIABLES, *Settings.model_fields, "ENV_FILE"}:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_node_variable_is_honoured_or_reported() -> None:
    reported = {name for name in NODE_VARIABLES if reported_why(name) is not None}

    assert set(HONOURED) | reported == set(NODE_VARIABLES)
    assert not set(HONOURED) & reported
    assert set(Settings.model_fields) >= SAME_NAME
    assert {alias.ours for alias in ALIASES.values()} <= set(Settings.model_fields)


@pytest.mark.parametrize("node_name", sorted(HONOURED))
def test_a_honoured_node_variable_changes_the_setting_it_names(
    node_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, setting, expected = HONOURED[node_name]
    default = getattr(load_settings(), setting)
    monkeypatch.setenv(node_name, raw)

    resolved = getattr(load_settings(), setting)

    assert resolved == expected
    assert resolved != default


@pytest.mark.parametrize(
    "node_name", sorted(name for name in NODE_VARIABLES if reported_why(name) is not None)
)
def test_a_node_variable_without_meaning_here_is_named_in_the_start_up_warnings(
    node_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(node_name, "1")

    warnings = inspect_environment().warnings()

    assert any(line.startswith(f"{node_name} is not used by media-stream: ") for line in warnings)
    load_settings()  # and it stops nothing


def test_the_node_services_env_example_loads_as_it_is(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(NODE_ENV_EXAMPLE)

    settings = load_settings()
    environment = inspect_environment()

    assert settings.RATE_LIMIT_IMAGE_MAX_REQUESTS == 300
    assert settings.RATE_LIMIT_MAX_REQUESTS == 500
    assert settings.IMAGE_WORKER_THREADS == 2
    assert settings.CACHE_WARMING_CRON == "0 */6 * * *"
    assert settings.RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS == ("example.com", "*.example.com")
    assert settings.redis_url == "redis://localhost:6379/0"
    assert environment.source_of("RATE_LIMIT_IMAGE_MAX_REQUESTS") == (
        "RATE_LIMIT_IMAGE_PROCESSING_MAX (Node name, .env)"
    )
    reported = {name for name, _ in environment.reported}
    assert {"NODE_ENV", "REDIS_TTL", "CACHE_PRELOADING_ENABLED"} <= reported
    assert "STORAGE_MAX_SIZE" not in reported
    assert settings.STORAGE_MAX_SIZE == 1_073_741_824
    assert settings.STORAGE_CLEANUP_CRON == "0 2 * * *"
    assert environment.unknown == ()


def test_a_node_name_and_ours_that_disagree_stop_start_up_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RATE_LIMIT_IMAGE_PROCESSING_MAX", "5")
    monkeypatch.setenv("RATE_LIMIT_IMAGE_MAX_REQUESTS", "3000")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "RATE_LIMIT_IMAGE_PROCESSING_MAX=5" in str(raised.value)
    assert "RATE_LIMIT_IMAGE_MAX_REQUESTS=3000" in str(raised.value)


def test_a_node_name_and_ours_that_agree_are_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCESSING_CPU_CORES", "1.5")
    monkeypatch.setenv("IMAGE_WORKER_THREADS", "2")
    monkeypatch.setenv("CACHE_WARMING_MAX_FILES", "50")
    monkeypatch.setenv("CACHE_WARMING_TOP_N", "50.0")

    settings = load_settings()

    assert (settings.IMAGE_WORKER_THREADS, settings.CACHE_WARMING_TOP_N) == (2, 50)


def test_an_invalid_value_under_a_node_name_is_named_with_that_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RATE_LIMIT_DEFAULT_MAX", "many")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "RATE_LIMIT_MAX_REQUESTS (from RATE_LIMIT_DEFAULT_MAX)" in str(raised.value)


def test_a_name_that_looks_like_ours_but_matches_nothing_is_warned_with_the_closest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RATE_LIMIT_IMAGE_MAX_REQUEST", "10")  # one letter short
    monkeypatch.setenv("CACHE_MEMORY_MAXSIZE", "10")
    monkeypatch.setenv("EDITOR", "vi")  # not ours: no prefix of ours

    warnings = inspect_environment().warnings()

    assert (
        "RATE_LIMIT_IMAGE_MAX_REQUEST matches no setting; "
        "did you mean RATE_LIMIT_IMAGE_MAX_REQUESTS?"
    ) in warnings
    assert (
        "CACHE_MEMORY_MAXSIZE matches no setting; did you mean CACHE_MEMORY_MAX_SIZE?" in warnings
    )
    assert not any("EDITOR" in line for line in warnings)
    assert load_settings().RATE_LIMIT_IMAGE_MAX_REQUESTS == 3000  # nothing else changes


def test_only_the_secret_set_derives_the_tenant_domain_url_as_the_node_service_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKEND_URL", "http://backend:8000")
    assert load_settings().tenant_domains_url == ""

    monkeypatch.setenv("INTERNAL_DOMAINS_SECRET", "s3cret")
    assert load_settings().tenant_domains_url == (
        "http://backend:8000/api/v1/tenant/internal/domains"
    )

    monkeypatch.setenv("TENANT_DOMAINS_REFRESH_URL", "http://backend:8000/domains")
    assert load_settings().tenant_domains_url == "http://backend:8000/domains"


def test_config_check_lists_honoured_reported_and_unknown_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "RATE_LIMIT_IMAGE_PROCESSING_MAX=5\nSTORAGE_MAX_SIZE=1\nSTORAGE_OPTIMIZATION_ENABLED=true\n"
    )
    monkeypatch.setenv("NODE_ENV", "production")
    monkeypatch.setenv("HTTP_TIMEOUTS", "1")

    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out

    assert "RATE_LIMIT_IMAGE_PROCESSING_MAX as RATE_LIMIT_IMAGE_MAX_REQUESTS = 5  (.env)" in out
    assert "NODE_ENV: media-stream has no environments" in out
    assert "STORAGE_MAX_SIZE = 1  (.env)" in out
    assert "STORAGE_OPTIMIZATION_ENABLED: result files are not recompressed" in out
    assert "HTTP_TIMEOUTS: did you mean HTTP_TIMEOUT?" in out


def test_config_show_says_where_each_value_comes_from(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("RATE_LIMIT_DEFAULT_MAX=7\nPORT=4000\n")
    monkeypatch.setenv("HOST", "127.0.0.2")

    assert main(["config", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)

    assert "RATE_LIMIT_MAX_REQUESTS=7  # RATE_LIMIT_DEFAULT_MAX (Node name, .env)" in lines
    assert "PORT=4000  # .env" in lines
    assert "HOST=127.0.0.2  # environment" in lines
    assert "LOG_LEVEL=info  # default" in lines
    assert shown["RATE_LIMIT_MAX_REQUESTS"] == {
        "value": 7,
        "source": "RATE_LIMIT_DEFAULT_MAX (Node name, .env)",
    }


def test_readme_says_what_becomes_of_every_node_variable() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    migration = readme.split("### Migrating from the Node service", 1)[1].split("\n### ", 1)[0]

    assert [name for name in NODE_VARIABLES if f"`{name}`" not in migration] == []


def test_a_node_name_in_the_env_file_reloads_like_ours(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("RATE_LIMIT_IMAGE_PROCESSING_MAX=5\n")
    live = LiveSettings(load_settings())

    env_file.write_text("RATE_LIMIT_IMAGE_PROCESSING_MAX=7\nRATE_LIMIT_BYPASS_BOTS=false\n")
    outcome = live.reload()

    assert set(outcome.applied) == {"RATE_LIMIT_IMAGE_MAX_REQUESTS", "RATE_LIMIT_BYPASS_BOTS"}
    assert live.current.RATE_LIMIT_IMAGE_MAX_REQUESTS == 7
    assert live.current.RATE_LIMIT_BYPASS_BOTS is False


def test_a_reload_that_makes_the_names_disagree_changes_nothing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("RATE_LIMIT_IMAGE_PROCESSING_MAX=5\n")
    live = LiveSettings(load_settings())

    env_file.write_text("RATE_LIMIT_IMAGE_PROCESSING_MAX=7\nRATE_LIMIT_IMAGE_MAX_REQUESTS=9\n")
    outcome = live.reload()

    assert outcome.applied == ()
    assert "RATE_LIMIT_IMAGE_PROCESSING_MAX=7" in outcome.problems[0]
    assert live.current.RATE_LIMIT_IMAGE_MAX_REQUESTS == 5
