"""The origin client: timeouts, pool, retries, breakers, probes, tenant domains, byte caps.

Every duration is in milliseconds, like the Node service's; EXTERNAL_REQUEST_TIMEOUT is the
deadline of a whole fetch, retries and redirects included. The policies the domain uses are
made here, beside the settings they come from.
"""

from __future__ import annotations

from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from domain.breaker import BreakerPolicy
from domain.originals import SourceByteCaps
from domain.retry import RetryPolicy
from entrypoints.settings.values import MIB, comma_list


class OriginSettings(BaseSettings):
    """EXTERNAL_REQUEST_TIMEOUT, HTTP_*, TENANT_DOMAINS_*, MAX_SOURCE_BYTES*."""

    EXTERNAL_REQUEST_TIMEOUT: int = Field(default=10_000, ge=100, description="milliseconds")
    HTTP_CONNECT_TIMEOUT: int = Field(default=3_000, ge=50, description="milliseconds")
    HTTP_READ_TIMEOUT: int = Field(default=5_000, ge=50, description="milliseconds")
    HTTP_POOL_TIMEOUT: int = Field(default=1_000, ge=10, description="milliseconds")
    HTTP_TIMEOUT: int = Field(default=0, ge=0, description="ms per attempt, 0 = no bound")
    HTTP_POOL_MAX_SOCKETS: int = Field(default=50, ge=1, le=1000)
    HTTP_POOL_KEEP_ALIVE_MS: int = Field(default=5_000, ge=0, le=3_600_000)
    HTTP_MAX_RETRIES: int = Field(default=2, ge=0, le=10)
    HTTP_RETRY_DELAY: int = Field(default=100, ge=0, description="milliseconds")
    HTTP_MAX_RETRY_DELAY: int = Field(default=2_000, ge=0, description="milliseconds")
    HTTP_CIRCUIT_BREAKER_ENABLED: bool = True
    HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD: int = Field(default=60_000, ge=100)
    HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT: int = Field(default=30_000, ge=100)
    HTTP_CIRCUIT_BREAKER_MIN_REQUESTS: int = Field(default=10, ge=1)
    HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD: int = Field(default=50, ge=1, le=100)
    HTTP_CIRCUIT_BREAKER_HALF_OPEN_REQUESTS: int = Field(default=3, ge=1, le=100)
    HTTP_HEALTH_CHECK_URLS: Annotated[tuple[str, ...], NoDecode] = ()
    HTTP_HEALTH_CHECK_TIMEOUT: int = Field(default=5_000, ge=10, le=600_000)
    TENANT_DOMAINS_REFRESH_URL: str = ""
    TENANT_DOMAINS_REFRESH_INTERVAL_MS: int = Field(default=60_000, ge=100)
    INTERNAL_DOMAINS_SECRET: str = ""
    MAX_SOURCE_BYTES: int = Field(default=10 * MIB, ge=1024)
    MAX_SOURCE_BYTES_JPEG: int = Field(default=5 * MIB, ge=1024)
    MAX_SOURCE_BYTES_PNG: int = Field(default=8 * MIB, ge=1024)
    MAX_SOURCE_BYTES_WEBP: int = Field(default=3 * MIB, ge=1024)
    MAX_SOURCE_BYTES_GIF: int = Field(default=2 * MIB, ge=1024)
    MAX_SOURCE_BYTES_SVG: int = Field(default=1 * MIB, ge=1024)

    @field_validator("HTTP_HEALTH_CHECK_URLS", mode="before")
    @classmethod
    def _probe_urls(cls, value: object) -> object:
        entries = comma_list(value)
        if isinstance(entries, tuple):
            for entry in entries:
                parts = urlsplit(entry)
                if parts.scheme not in {"http", "https"} or not parts.hostname:
                    raise ValueError(f"{entry!r} is not an http(s):// URL with a host")
        return entries

    @field_validator("TENANT_DOMAINS_REFRESH_URL")
    @classmethod
    def _http_or_empty(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in {"http", "https"} or not parts.hostname):
            raise ValueError("must be empty or an http(s):// URL with a host")
        return value

    @model_validator(mode="after")
    def _retry_delays_in_order(self) -> Self:
        if self.HTTP_MAX_RETRY_DELAY < self.HTTP_RETRY_DELAY:
            raise ValueError("HTTP_MAX_RETRY_DELAY must not be smaller than HTTP_RETRY_DELAY")
        return self


def retry_policy(settings: OriginSettings) -> RetryPolicy:
    """HTTP_MAX_RETRIES, HTTP_RETRY_DELAY and HTTP_MAX_RETRY_DELAY (ms) as a policy."""
    return RetryPolicy(
        max_retries=settings.HTTP_MAX_RETRIES,
        base_delay=settings.HTTP_RETRY_DELAY / 1000,
        max_delay=settings.HTTP_MAX_RETRY_DELAY / 1000,
    )


def breaker_policy(settings: OriginSettings) -> BreakerPolicy:
    """The HTTP_CIRCUIT_BREAKER_* settings (durations in ms) as a policy."""
    return BreakerPolicy(
        window=settings.HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD / 1000,
        minimum_requests=settings.HTTP_CIRCUIT_BREAKER_MIN_REQUESTS,
        failure_percentage=settings.HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD,
        open_for=settings.HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT / 1000,
        half_open_probes=settings.HTTP_CIRCUIT_BREAKER_HALF_OPEN_REQUESTS,
    )


def source_caps(settings: OriginSettings) -> SourceByteCaps:
    """The per-format MAX_SOURCE_BYTES_* caps; MAX_SOURCE_BYTES for every other format."""
    return SourceByteCaps(
        jpeg=settings.MAX_SOURCE_BYTES_JPEG,
        png=settings.MAX_SOURCE_BYTES_PNG,
        webp=settings.MAX_SOURCE_BYTES_WEBP,
        gif=settings.MAX_SOURCE_BYTES_GIF,
        svg=settings.MAX_SOURCE_BYTES_SVG,
        other=settings.MAX_SOURCE_BYTES,
    )
