"""Settings from the environment (and `.env`), with the Node service's variable names.

Nothing is read at import time: `load_settings()` is called by the entrypoints, and tests build
`Settings(...)` directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
