"""The node itself: where it listens, logs, reads originals from and keeps its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from entrypoints.settings.values import SAMPLES_DIRECTORY, refuse_ambiguous


class ServiceSettings(BaseSettings):
    """HOST, PORT, logs, the origin (BACKEND_URL and its allow-list), the storage directory."""

    HOST: str = "127.0.0.1"
    PORT: int = Field(default=3003, ge=1, le=65535)
    LOG_LEVEL: str = "info"
    LOG_FORMAT: Literal["json", "console"] = "json"
    BACKEND_URL: str = SAMPLES_DIRECTORY.as_uri()
    CACHE_FILE_DIRECTORY: Path = Path("var/cache")
    VALIDATION_ALLOWED_DOMAINS: Annotated[tuple[str, ...], NoDecode] = ()
    VALIDATION_MAX_STRING_LENGTH: int = Field(default=2048, ge=64, le=16384)
    INTERNAL_ADMIN_SECRET: str = ""

    @field_validator("VALIDATION_ALLOWED_DOMAINS", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("VALIDATION_ALLOWED_DOMAINS")
    @classmethod
    def _unambiguous_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            refuse_ambiguous(entry.strip("[]"))
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in {"critical", "error", "warning", "warn", "info", "debug", "trace"}:
            raise ValueError("must be one of critical, error, warning, info, debug, trace")
        return "warning" if level == "warn" else level

    @field_validator("LOG_FORMAT", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("BACKEND_URL")
    @classmethod
    def _usable_backend(cls, value: str) -> str:
        parts = urlsplit(value)
        if not (
            (parts.scheme in {"http", "https"} and parts.hostname)
            or (parts.scheme == "file" and parts.path)
        ):
            raise ValueError("must be an http(s):// URL with a host or a file:// directory URL")
        refuse_ambiguous(parts.hostname or "")
        return value.rstrip("/")

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
