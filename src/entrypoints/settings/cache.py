"""The result cache: lifetimes, the memory tier, Redis, coalescing leases and warming."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from domain.cron import CronSchedule
from entrypoints.settings.values import ONE_YEAR


class CacheSettings(BaseSettings):
    """CACHE_* and REDIS_* (ADR 7, ADR 8); lifetimes in seconds, Redis timeouts in ms."""

    CACHE_IMAGE_PUBLIC_TTL: int = Field(default=ONE_YEAR, ge=0)
    CACHE_IMAGE_NEGATIVE_TTL: int = Field(default=300, ge=0)
    CACHE_IMAGE_PRIVATE_TTL: int = Field(default=86_400, ge=1, description="seconds")
    CACHE_MEMORY_MAX_SIZE: int = Field(default=256 * 1024 * 1024, ge=0)
    CACHE_MEMORY_MAX_KEYS: int = Field(default=10_000, ge=0)
    CACHE_MEMORY_TTL: int = Field(default=0, ge=0, description="seconds, 0 = until evicted")
    CACHE_MEMORY_WARNING_THRESHOLD: float = Field(default=0, ge=0, le=100, description="%")
    REDIS_URL: str = ""
    REDIS_HOST: str = ""
    REDIS_PORT: int = Field(default=6379, ge=1, le=65535)
    REDIS_PASSWORD: str = ""
    REDIS_DB: int = Field(default=0, ge=0, le=65535)
    REDIS_KEY_PREFIX: str = Field(default="media-stream:", pattern=r"^[A-Za-z0-9:_.-]{0,64}$")
    REDIS_CONNECT_TIMEOUT: int = Field(default=500, ge=10, le=60_000, description="milliseconds")
    REDIS_COMMAND_TIMEOUT: int = Field(default=500, ge=10, le=60_000, description="milliseconds")
    REDIS_RETRY_AFTER: int = Field(default=1_000, ge=10, le=600_000, description="milliseconds")
    CACHE_LEASE_TTL: int = Field(default=5_000, ge=100, le=600_000, description="milliseconds")
    CACHE_LEASE_MAX_WAIT: int = Field(default=30_000, ge=0, le=600_000, description="ms")
    CACHE_WARMING_ENABLED: bool = True
    CACHE_WARMING_ON_START: bool = True
    CACHE_WARMING_INTERVAL: int = Field(default=300, ge=1, description="seconds")
    CACHE_WARMING_CRON: str = ""
    CACHE_WARMING_TOP_N: int = Field(default=100, ge=0, le=100_000)
    CACHE_WARMING_THRESHOLD: int = Field(default=1, ge=1, description="accesses")

    @field_validator("REDIS_URL")
    @classmethod
    def _usable_redis_url(cls, value: str) -> str:
        value = value.strip()
        if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must be empty or a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("CACHE_WARMING_CRON")
    @classmethod
    def _cron(cls, value: str) -> str:
        value = " ".join(value.split())
        if value:
            CronSchedule.parse(value)  # raises ValueError naming the bad field
        return value

    @property
    def redis_url(self) -> str:
        """REDIS_URL, else one built from REDIS_HOST/PORT/PASSWORD/DB; '' means no Redis."""
        if self.REDIS_URL or not self.REDIS_HOST:
            return self.REDIS_URL
        password = f":{quote(self.REDIS_PASSWORD, safe='')}@" if self.REDIS_PASSWORD else ""
        return f"redis://{password}{self.REDIS_HOST}:{self.REDIS_PORT}/{self.REDIS_DB}"
