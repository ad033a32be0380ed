"""Settings from the environment (and `.env`), with the Node service's variable names.

Nothing is read at import time: `load_settings()` is called by the entrypoints, and tests build
`Settings(...)` directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.addresses import canonical_host
from domain.errors import AmbiguousHost

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


def load_settings(**overrides: object) -> Settings:
    """Read the settings; an invalid one raises `SettingsError` naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc
