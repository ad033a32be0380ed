"""Settings from the environment (and `.env`), with the Node service's variable names.

Nothing is read at import time: `load_settings()` is called by the entrypoints, and tests build
`Settings(...)` directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.clients import TrustedProxies
from domain.rate_limit import WindowStrategy

SAMPLES_DIRECTORY = Path(__file__).resolve().parent / "samples"
ONE_YEAR = 31_104_000


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


_HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def _comma_list(value: object) -> object:
    """A comma-separated environment value as a tuple of its non-empty, trimmed parts."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return value


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
