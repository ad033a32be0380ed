"""Settings from the environment (and `.env`), with the Node service's variable names.

Nothing is read at import time: `load_settings()` is called by the entrypoints, and tests build
`Settings(...)` directly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.addresses import canonical_host
from domain.clients import TrustedProxies
from domain.cron import CronSchedule
from domain.errors import AmbiguousHost
from domain.policy import HostAllowList, NamingHostPolicy
from domain.rate_limit import WindowStrategy
from entrypoints.environment import Environment, read_environment

log = logging.getLogger(__name__)

SAMPLES_DIRECTORY = Path(__file__).resolve().parent / "samples"
ONE_YEAR = 31_104_000
MIB = 1024 * 1024


class SettingsError(Exception):
    """The environment holds an invalid setting; the message names the variable."""


class Settings(BaseSettings):
    """Every setting of the service; field names are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    HOST: str = "127.0.0.1"
    PORT: int = Field(default=3003, ge=1, le=65535)
    LOG_LEVEL: str = "info"
    BACKEND_URL: str = SAMPLES_DIRECTORY.as_uri()
    CACHE_FILE_DIRECTORY: Path = Path("var/cache")
    REDIS_URL: str = ""
    VALIDATION_ALLOWED_DOMAINS: Annotated[tuple[str, ...], NoDecode] = ()
    VALIDATION_MAX_STRING_LENGTH: int = Field(default=2048, ge=64, le=16384)
    INTERNAL_ADMIN_SECRET: str = ""
    CACHE_IMAGE_PUBLIC_TTL: int = Field(default=ONE_YEAR, ge=0)
    CACHE_IMAGE_NEGATIVE_TTL: int = Field(default=300, ge=0)
    CACHE_MEMORY_MAX_SIZE: int = Field(default=256 * 1024 * 1024, ge=0)
    CACHE_MEMORY_MAX_KEYS: int = Field(default=10_000, ge=0)
    EXTERNAL_REQUEST_TIMEOUT: int = Field(default=10_000, ge=100, description="milliseconds")
    HTTP_CONNECT_TIMEOUT: int = Field(default=3_000, ge=50, description="milliseconds")
    HTTP_POOL_MAX_SOCKETS: int = Field(default=50, ge=1, le=1000)
    MAX_SOURCE_BYTES: int = Field(default=10 * 1024 * 1024, ge=1024)
    MAX_SOURCE_PIXELS: int = Field(default=50_000_000, ge=1)
    MAX_ANIMATION_FRAMES: int = Field(default=500, ge=1)
    IMAGE_WORKER_THREADS: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)

    # The shared cache layer (Redis), coalescing across nodes and warming (ADR 7, ADR 8).
    REDIS_HOST: str = ""
    REDIS_PORT: int = Field(default=6379, ge=1, le=65535)
    REDIS_PASSWORD: str = ""
    REDIS_DB: int = Field(default=0, ge=0, le=65535)
    REDIS_KEY_PREFIX: str = Field(default="media-stream:", pattern=r"^[A-Za-z0-9:_.-]{0,64}$")
    REDIS_CONNECT_TIMEOUT: int = Field(default=500, ge=10, le=60_000, description="milliseconds")
    REDIS_COMMAND_TIMEOUT: int = Field(default=500, ge=10, le=60_000, description="milliseconds")
    REDIS_RETRY_AFTER: int = Field(default=1_000, ge=10, le=600_000, description="milliseconds")
    CACHE_IMAGE_PRIVATE_TTL: int = Field(default=86_400, ge=1, description="seconds")
    CACHE_LEASE_TTL: int = Field(default=5_000, ge=100, le=600_000, description="milliseconds")
    CACHE_LEASE_MAX_WAIT: int = Field(default=30_000, ge=0, le=600_000, description="ms")
    CACHE_WARMING_ENABLED: bool = True
    CACHE_WARMING_INTERVAL: int = Field(default=300, ge=1, description="seconds")
    CACHE_WARMING_TOP_N: int = Field(default=100, ge=0, le=100_000)
    # hostile input, abuse and backpressure
    MAX_ANIMATION_PIXELS: int = Field(default=100_000_000, ge=1)
    IMAGE_PROCESSING_TIMEOUT: int = Field(default=20_000, ge=10, description="milliseconds")
    IMAGE_QUEUE_MAX: int = Field(default=32, ge=0, le=10_000)
    RATE_LIMIT_ENABLED: bool = True
    RATE_LIMIT_WINDOW_MS: int = Field(default=60_000, ge=100, le=86_400_000)
    RATE_LIMIT_MAX_REQUESTS: int = Field(default=600, ge=1)
    RATE_LIMIT_IMAGE_MAX_REQUESTS: int = Field(default=3_000, ge=1)
    RATE_LIMIT_STRATEGY: WindowStrategy = WindowStrategy.SLIDING
    RATE_LIMIT_KEY_PREFIX: str = Field(default="media-stream:ratelimit:", max_length=200)
    TRUSTED_PROXIES: Annotated[tuple[str, ...], NoDecode] = ()
    CORS_ORIGIN: Annotated[tuple[str, ...], NoDecode] = ("*",)
    CORS_METHODS: Annotated[tuple[str, ...], NoDecode] = ("GET", "HEAD", "OPTIONS")
    CORS_MAX_AGE: int = Field(default=86_400, ge=0, le=604_800)

    # -- the Node service's settings that had no counterpart here (see node_env.py) ----------
    # Rate limits per kind of request, and the requests never counted.
    RATE_LIMIT_IMAGE_WINDOW_MS: int = Field(
        default=0, ge=0, le=86_400_000, description="0 = RATE_LIMIT_WINDOW_MS"
    )
    RATE_LIMIT_HEALTH_WINDOW_MS: int = Field(default=10_000, ge=100, le=86_400_000)
    RATE_LIMIT_HEALTH_MAX_REQUESTS: int = Field(default=1_000, ge=1)
    RATE_LIMIT_BYPASS_HEALTH_CHECKS: bool = True
    RATE_LIMIT_BYPASS_STATIC_ASSETS: bool = True
    RATE_LIMIT_BYPASS_BOTS: bool = True
    RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS: Annotated[tuple[str, ...], NoDecode] = ()
    # The memory tier's entry lifetime and fill warning; warming's schedule and threshold.
    CACHE_MEMORY_TTL: int = Field(default=0, ge=0, description="seconds, 0 = until evicted")
    CACHE_MEMORY_WARNING_THRESHOLD: float = Field(default=0, ge=0, le=100, description="%")
    CACHE_WARMING_ON_START: bool = True
    CACHE_WARMING_THRESHOLD: int = Field(default=1, ge=1, description="accesses")
    CACHE_WARMING_CRON: str = ""
    # The origin client: a bound per attempt, idle connections, the breaker switch, probes.
    HTTP_TIMEOUT: int = Field(default=0, ge=0, description="ms per attempt, 0 = no bound")
    HTTP_POOL_KEEP_ALIVE_MS: int = Field(default=5_000, ge=0, le=3_600_000)
    HTTP_CIRCUIT_BREAKER_ENABLED: bool = True
    HTTP_HEALTH_CHECK_URLS: Annotated[tuple[str, ...], NoDecode] = ()
    HTTP_HEALTH_CHECK_TIMEOUT: int = Field(default=5_000, ge=10, le=600_000)
    # Monitoring: on or off, and the performance watch's own interval.
    MONITORING_ENABLED: bool = True
    MONITORING_PERFORMANCE_INTERVAL: int = Field(default=10_000, ge=50, description="ms")

    @field_validator("RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS", mode="before")
    @classmethod
    def _lower_domains(cls, value: object) -> object:
        entries = _comma_list(value)
        return tuple(entry.lower() for entry in entries) if isinstance(entries, tuple) else value

    @field_validator("HTTP_HEALTH_CHECK_URLS", mode="before")
    @classmethod
    def _probe_urls(cls, value: object) -> object:
        entries = _comma_list(value)
        if isinstance(entries, tuple):
            for entry in entries:
                parts = urlsplit(entry)
                if parts.scheme not in {"http", "https"} or not parts.hostname:
                    raise ValueError(f"{entry!r} is not an http(s):// URL with a host")
        return entries

    @field_validator("CACHE_WARMING_CRON")
    @classmethod
    def _cron(cls, value: str) -> str:
        value = " ".join(value.split())
        if value:
            CronSchedule.parse(value)  # raises ValueError naming the bad field
        return value

    @property
    def tenant_domains_url(self) -> str:
        """TENANT_DOMAINS_REFRESH_URL; with only INTERNAL_DOMAINS_SECRET set, the Node
        service's default: the backend's `/api/v1/tenant/internal/domains`."""
        if self.TENANT_DOMAINS_REFRESH_URL or not self.INTERNAL_DOMAINS_SECRET:
            return self.TENANT_DOMAINS_REFRESH_URL
        if self.backend_directory is not None:
            return ""
        return f"{self.BACKEND_URL}/api/v1/tenant/internal/domains"

    @field_validator("VALIDATION_ALLOWED_DOMAINS", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in {"critical", "error", "warning", "warn", "info", "debug", "trace"}:
            raise ValueError("must be one of critical, error, warning, info, debug, trace")
        return "warning" if level == "warn" else level

    @field_validator("BACKEND_URL")
    @classmethod
    def _usable_backend(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme in {"http", "https"} and parts.hostname:
            return value.rstrip("/")
        if parts.scheme == "file" and parts.path:
            return value.rstrip("/")
        raise ValueError("must be an http(s):// URL with a host or a file:// directory URL")

    @field_validator("REDIS_URL")
    @classmethod
    def _usable_redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must be empty or a redis://, rediss:// or unix:// URL")
        return value

    @property
    def redis_url(self) -> str:
        """REDIS_URL, else one built from REDIS_HOST/PORT/PASSWORD/DB; '' means no Redis."""
        if self.REDIS_URL or not self.REDIS_HOST:
            return self.REDIS_URL
        password = f":{quote(self.REDIS_PASSWORD, safe='')}@" if self.REDIS_PASSWORD else ""
        return f"redis://{password}{self.REDIS_HOST}:{self.REDIS_PORT}/{self.REDIS_DB}"

    @field_validator("TRUSTED_PROXIES", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        entries = _comma_list(value)
        if isinstance(entries, tuple):
            TrustedProxies.parse(entries)  # raises ValueError naming the bad entry
        return entries

    @field_validator("CORS_ORIGIN", mode="before")
    @classmethod
    def _cors_origins(cls, value: object) -> object:
        entries = _comma_list(value)
        if isinstance(entries, tuple):
            for entry in entries:
                parts = urlsplit(entry)
                is_origin = parts.scheme in {"http", "https"} and parts.netloc
                if entry != "*" and not (is_origin and parts.path in {"", "/"}):
                    raise ValueError(f"{entry!r} is neither '*' nor an origin (scheme://host)")
            return tuple(entry.rstrip("/") for entry in entries)
        return entries

    @field_validator("CORS_METHODS", mode="before")
    @classmethod
    def _cors_methods(cls, value: object) -> object:
        entries = _comma_list(value)
        if isinstance(entries, tuple):
            entries = tuple(entry.upper() for entry in entries)
            unknown = set(entries) - _HTTP_METHODS
            if unknown:
                raise ValueError(f"unknown HTTP methods: {', '.join(sorted(unknown))}")
        return entries

    @property
    def backend_directory(self) -> Path | None:
        """The local directory originals are read from, when BACKEND_URL is a file:// URL."""
        parts = urlsplit(self.BACKEND_URL)
        return Path(parts.path) if parts.scheme == "file" else None

    @property
    def backend_host(self) -> str:
        """The origin's host, lower-cased ('' for a local directory)."""
        return (urlsplit(self.BACKEND_URL).hostname or "").lower()

    @property
    def allowed_domains(self) -> tuple[str, ...]:
        """VALIDATION_ALLOWED_DOMAINS, or the BACKEND_URL host alone when that list is empty."""
        if self.VALIDATION_ALLOWED_DOMAINS:
            return self.VALIDATION_ALLOWED_DOMAINS
        return (self.backend_host,) if self.backend_host else ()

    # -- operations: logs, health, monitoring, shutdown --------------------------------------

    LOG_FORMAT: Literal["json", "console"] = "json"
    SLOW_REQUEST_THRESHOLD_MS: int = Field(default=1_000, ge=0, description="0 = off")
    SHUTDOWN_TIMEOUT: int = Field(default=25_000, ge=0, description="milliseconds")
    SHUTDOWN_FORCE_TIMEOUT: int = Field(default=30_000, ge=100, description="milliseconds")
    HEALTH_CHECK_TIMEOUT: int = Field(default=2_000, ge=10, description="milliseconds")
    HEALTH_DISK_WARN_PERCENT: float = Field(default=90.0, gt=0, le=100)
    HEALTH_DISK_DOWN_PERCENT: float = Field(default=98.0, gt=0, le=100)
    HEALTH_MEMORY_WARN_PERCENT: float = Field(default=85.0, gt=0, le=100)
    HEALTH_MEMORY_DOWN_PERCENT: float = Field(default=95.0, gt=0, le=100)
    MONITORING_INTERVAL: int = Field(default=10_000, ge=50, description="milliseconds")
    PERFORMANCE_WINDOW: int = Field(default=300, ge=1, description="seconds")
    PERFORMANCE_MIN_SAMPLES: int = Field(default=50, ge=1)
    PERFORMANCE_DEGRADATION_FACTOR: float = Field(default=2.0, ge=0)
    PERFORMANCE_THRESHOLDS_MS: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: {"total": 3_000}
    )

    @field_validator("LOG_FORMAT", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("PERFORMANCE_THRESHOLDS_MS", mode="before")
    @classmethod
    def _phase_thresholds(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        thresholds: dict[str, object] = {}
        for entry in filter(None, (part.strip() for part in value.split(","))):
            phase, equals, milliseconds = entry.partition("=")
            if not equals or not phase.strip():
                raise ValueError(f"expected phase=milliseconds, got {entry!r}")
            thresholds[phase.strip()] = milliseconds.strip()
        return thresholds

    @field_validator("SHUTDOWN_FORCE_TIMEOUT")
    @classmethod
    def _force_after_graceful(cls, value: int, info: ValidationInfo) -> int:
        graceful = info.data.get("SHUTDOWN_TIMEOUT")
        if isinstance(graceful, int) and value <= graceful:
            raise ValueError(f"must be greater than SHUTDOWN_TIMEOUT ({graceful})")
        return value

    @field_validator("HEALTH_DISK_DOWN_PERCENT", "HEALTH_MEMORY_DOWN_PERCENT")
    @classmethod
    def _down_above_warn(cls, value: float, info: ValidationInfo) -> float:
        warn_name = str(info.field_name).replace("_DOWN_", "_WARN_")
        warn = info.data.get(warn_name)
        if isinstance(warn, float) and value < warn:
            raise ValueError(f"must be at least {warn_name} ({warn:g})")
        return value

    # --- Origin fetching: timeouts, retries, circuit breaker, tenant domains, byte caps ---
    # Every duration is in milliseconds, like HTTP_CONNECT_TIMEOUT and EXTERNAL_REQUEST_TIMEOUT
    # (which is the deadline of a whole fetch, retries and redirects included).
    HTTP_READ_TIMEOUT: int = Field(default=5_000, ge=50, description="milliseconds")
    HTTP_POOL_TIMEOUT: int = Field(default=1_000, ge=10, description="milliseconds")
    HTTP_MAX_RETRIES: int = Field(default=2, ge=0, le=10)
    HTTP_RETRY_DELAY: int = Field(default=100, ge=0, description="milliseconds")
    HTTP_MAX_RETRY_DELAY: int = Field(default=2_000, ge=0, description="milliseconds")
    HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD: int = Field(default=60_000, ge=100)
    HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT: int = Field(default=30_000, ge=100)
    HTTP_CIRCUIT_BREAKER_MIN_REQUESTS: int = Field(default=10, ge=1)
    HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD: int = Field(default=50, ge=1, le=100)
    HTTP_CIRCUIT_BREAKER_HALF_OPEN_REQUESTS: int = Field(default=3, ge=1, le=100)
    TENANT_DOMAINS_REFRESH_URL: str = ""
    TENANT_DOMAINS_REFRESH_INTERVAL_MS: int = Field(default=60_000, ge=100)
    INTERNAL_DOMAINS_SECRET: str = ""
    MAX_SOURCE_BYTES_JPEG: int = Field(default=5 * MIB, ge=1024)
    MAX_SOURCE_BYTES_PNG: int = Field(default=8 * MIB, ge=1024)
    MAX_SOURCE_BYTES_WEBP: int = Field(default=3 * MIB, ge=1024)
    MAX_SOURCE_BYTES_GIF: int = Field(default=2 * MIB, ge=1024)
    MAX_SOURCE_BYTES_SVG: int = Field(default=1 * MIB, ge=1024)

    @field_validator("VALIDATION_ALLOWED_DOMAINS")
    @classmethod
    def _unambiguous_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            _refuse_ambiguous(entry.strip("[]"))
        return value

    @field_validator("BACKEND_URL")
    @classmethod
    def _unambiguous_backend(cls, value: str) -> str:
        _refuse_ambiguous(urlsplit(value).hostname or "")
        return value

    @field_validator("TENANT_DOMAINS_REFRESH_URL")
    @classmethod
    def _http_or_empty(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in {"http", "https"} or not parts.hostname):
            raise ValueError("must be empty or an http(s):// URL with a host")
        return value

    @model_validator(mode="after")
    def _retry_delays_in_order(self) -> Settings:
        if self.HTTP_MAX_RETRY_DELAY < self.HTTP_RETRY_DELAY:
            raise ValueError("HTTP_MAX_RETRY_DELAY must not be smaller than HTTP_RETRY_DELAY")
        return self


def _refuse_ambiguous(host: str) -> None:
    try:
        canonical_host(host)
    except AmbiguousHost as exc:
        raise ValueError(f"{host!r} spells an IP address ambiguously; write it as a.b.c.d") from exc


_HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def _comma_list(value: object) -> object:
    """A comma-separated environment value as a tuple of its non-empty, trimmed parts."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return value


def load_settings(**overrides: object) -> Settings:
    """Read the settings; an invalid one raises `SettingsError` naming the variable.

    Node names (`node_env.py`) are read as the settings they name; a Node name and ours set
    to different values is an error naming both.
    """
    overrides.setdefault("_env_file", env_file())
    environment = inspect_environment(Path(str(overrides["_env_file"])))
    if environment.conflicts:
        raise SettingsError("invalid settings: " + "; ".join(environment.conflicts))
    try:
        return Settings(**{**environment.aliased, **overrides})  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{_named(environment, error['loc'])}: {error['msg']}" if error["loc"] else error["msg"]
            for error in exc.errors()
        ]
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc


def inspect_environment(file: Path | None = None) -> Environment:
    """Where every setting comes from, and what becomes of the Node service's variables."""
    return read_environment(Settings.model_fields, file or env_file())


def _named(environment: Environment, location: tuple[int | str, ...]) -> str:
    """The variable an error is about, with the Node name it was read from, if any."""
    name = ".".join(str(part) for part in location)
    source = environment.source_of(name)
    return f"{name} (from {source.partition(' ')[0]})" if "Node name" in source else name


# -- the environment file, reloading, and showing settings ------------------------------------

ENV_FILE_VARIABLE = "ENV_FILE"
# Changing these needs a restart: the address, the storage and the origin the node is built on.
CRITICAL = ("HOST", "PORT", "CACHE_FILE_DIRECTORY", "REDIS_URL", "BACKEND_URL")
# Read again by their users at every use, so a reload applies them; every other setting is
# built into a long-lived object (a pool, a cache bound) and needs a restart too.
RELOADABLE = frozenset(
    {
        "LOG_LEVEL",
        "LOG_FORMAT",
        "INTERNAL_ADMIN_SECRET",
        "CACHE_IMAGE_PUBLIC_TTL",
        "CACHE_IMAGE_NEGATIVE_TTL",
        "VALIDATION_ALLOWED_DOMAINS",
        "VALIDATION_MAX_STRING_LENGTH",
        "SLOW_REQUEST_THRESHOLD_MS",
        "SHUTDOWN_TIMEOUT",
        "SHUTDOWN_FORCE_TIMEOUT",
        "HEALTH_CHECK_TIMEOUT",
        "HEALTH_DISK_WARN_PERCENT",
        "HEALTH_DISK_DOWN_PERCENT",
        "HEALTH_MEMORY_WARN_PERCENT",
        "HEALTH_MEMORY_DOWN_PERCENT",
        "MONITORING_INTERVAL",
        "PERFORMANCE_WINDOW",
        "PERFORMANCE_MIN_SAMPLES",
        "PERFORMANCE_DEGRADATION_FACTOR",
        "PERFORMANCE_THRESHOLDS_MS",
        "RATE_LIMIT_WINDOW_MS",
        "RATE_LIMIT_MAX_REQUESTS",
        "RATE_LIMIT_IMAGE_MAX_REQUESTS",
        "RATE_LIMIT_STRATEGY",
        "RATE_LIMIT_IMAGE_WINDOW_MS",
        "RATE_LIMIT_HEALTH_WINDOW_MS",
        "RATE_LIMIT_HEALTH_MAX_REQUESTS",
        "RATE_LIMIT_BYPASS_HEALTH_CHECKS",
        "RATE_LIMIT_BYPASS_STATIC_ASSETS",
        "RATE_LIMIT_BYPASS_BOTS",
        "RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS",
        "MONITORING_PERFORMANCE_INTERVAL",
    }
)
SECRETS = frozenset({"INTERNAL_ADMIN_SECRET", "INTERNAL_DOMAINS_SECRET", "REDIS_PASSWORD"})
REDACTED = "********"


def env_file() -> Path:
    """The environment file settings are read from: `ENV_FILE`, else `.env` (may not exist)."""
    return Path(os.environ.get(ENV_FILE_VARIABLE) or ".env")


def redacted(settings: Settings) -> dict[str, object]:
    """Every setting by name, secrets masked (and the password of any URL)."""
    shown: dict[str, object] = {}
    for name, value in settings.model_dump().items():
        if name in SECRETS and value:
            shown[name] = REDACTED
        elif isinstance(value, str) and "://" in value:
            shown[name] = _without_password(value)
        elif isinstance(value, Path):
            shown[name] = str(value)
        elif isinstance(value, tuple):
            shown[name] = ",".join(value)
        else:
            shown[name] = value
    return shown


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    return parts._replace(netloc=netloc).geturl()


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """What a reload did: settings applied, changes that need a restart, or why it failed."""

    applied: tuple[str, ...] = ()
    needs_restart: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "applied": list(self.applied),
            "needsRestart": list(self.needs_restart),
            "problems": list(self.problems),
        }


class LiveSettings:
    """The settings in force now; components that honour reloads read `current` at each use.

    `reload()` reads the environment and the environment file again, applies the changed
    RELOADABLE settings, and logs every other change as needing a restart without applying it.
    An invalid file changes nothing and reports every problem. Listeners registered with
    `subscribe` are called with the new settings after each reload that applied something.
    """

    def __init__(
        self, settings: Settings, load: Callable[[], Settings] = lambda: load_settings()
    ) -> None:
        self._current = settings
        self._load = load
        self._listeners: list[Callable[[Settings], None]] = []

    @property
    def current(self) -> Settings:
        return self._current

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        """Call `listener(new_settings)` after every reload that applied a change."""
        self._listeners.append(listener)

    def reload(self) -> ReloadOutcome:
        """Re-read the settings; apply what may change while running."""
        try:
            fresh = self._load()
        except SettingsError as exc:
            log.error("settings not reloaded: %s", exc)
            return ReloadOutcome(problems=(str(exc),))
        before, after = self._current.model_dump(), fresh.model_dump()
        changed = [name for name in after if before.get(name) != after[name]]
        applied = tuple(name for name in changed if name in RELOADABLE)
        needs_restart = tuple(name for name in changed if name not in RELOADABLE)
        for name in needs_restart:
            log.warning("%s changed: needs a restart, not applied", name, extra={"setting": name})
        if applied:
            self._current = self._current.model_copy(update={name: after[name] for name in applied})
            log.info("settings reloaded: %s", ", ".join(applied), extra={"applied": list(applied)})
            self._notify()
        else:
            log.info("settings reloaded: nothing to apply")
        return ReloadOutcome(applied=applied, needs_restart=needs_restart)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener(self._current)
            except Exception:
                log.exception("a settings listener failed")


class LiveHostAllowList(NamingHostPolicy):
    """The allow-list of the settings in force, so a reloaded VALIDATION_ALLOWED_DOMAINS applies."""

    def __init__(self, live: LiveSettings) -> None:
        self._live = live
        self._built_for: Settings | None = None
        self._allow_list = HostAllowList(frozenset())

    def _current(self) -> HostAllowList:
        current = self._live.current
        if current is not self._built_for:
            self._allow_list = HostAllowList.of(current.allowed_domains)
            self._built_for = current
        return self._allow_list

    def permits(self, host: str) -> bool:
        return self._current().permits(host)

    def names(self, host: str) -> bool:
        """True when the allow-list in force names `host` exactly."""
        return self._current().names(host)
