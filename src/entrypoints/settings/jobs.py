"""Background jobs (ADR 27, 28): the broker, retries, the embedded worker, heavy-render
offload and the cluster's one scheduler. All media-stream's own (the Node service had none)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")


class JobSettings(BaseSettings):
    """BROKER_URL, JOBS_*, OFFLOAD_*."""

    # '' : Redis (REDIS_URL) when one is configured, else in this process
    BROKER_URL: str = ""
    JOBS_MAX_RETRIES: int = Field(default=3, ge=0, le=100)
    JOBS_RETRY_MIN_BACKOFF: int = Field(default=1_000, ge=10, description="milliseconds")
    JOBS_RETRY_MAX_BACKOFF: int = Field(default=60_000, ge=10, description="milliseconds")
    JOBS_TIME_LIMIT: int = Field(default=300_000, ge=1_000, description="milliseconds")
    JOBS_HEARTBEAT_TIMEOUT: int = Field(default=60_000, ge=1_000, description="milliseconds")
    JOBS_IN_PROCESS_THREADS: int = Field(default=1, ge=1, le=64)
    OFFLOAD_MIN_PIXELS: int = Field(default=16_000_000, ge=0, description="0: never")
    OFFLOAD_MAX_WAIT: int = Field(default=15_000, ge=100, description="milliseconds")
    SCHEDULER_LEASE: int = Field(default=30_000, ge=1_000, description="milliseconds")

    @field_validator("BROKER_URL")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in BROKER_SCHEMES:
            raise ValueError("must be a redis:// or amqp:// URL")
        return value
