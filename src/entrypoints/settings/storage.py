"""Storage management: the access index and the STORAGE_* limits of the disk tier (ADR 22, 23).

The STORAGE_* variables keep the Node service's names, defaults and units (bytes, file
counts, days, milliseconds); `ACCESS_INDEX_*` and the few STORAGE_* below the Node ones are
media-stream's own.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from domain.cron import CronSchedule
from domain.storage import (
    Aggressiveness,
    EvictionPolicy,
    EvictionStrategy,
    RetentionPolicy,
    StorageThresholds,
)

DAY = 86_400.0
INDEX_FILE = "access-index.sqlite3"


class StorageSettings(BaseSettings):
    """STORAGE_* and ACCESS_INDEX_*."""

    STORAGE_MAX_SIZE: int = Field(default=1_073_741_824, ge=1, description="bytes")
    STORAGE_MAX_FILE_AGE_DAYS: float = Field(default=30, gt=0, description="days unused")
    STORAGE_WARNING_SIZE: int = Field(default=838_860_800, ge=1, description="bytes")
    STORAGE_CRITICAL_SIZE: int = Field(default=1_073_741_824, ge=1, description="bytes")
    STORAGE_WARNING_FILE_COUNT: int = Field(default=5_000, ge=1)
    STORAGE_CRITICAL_FILE_COUNT: int = Field(default=10_000, ge=1)
    STORAGE_CLEANUP_ENABLED: bool = True
    STORAGE_CLEANUP_CRON: str = "0 2 * * *"
    STORAGE_CLEANUP_DRY_RUN: bool = False
    STORAGE_CLEANUP_MAX_DURATION: int = Field(default=300_000, ge=1_000, description="ms")
    STORAGE_EVICTION_STRATEGY: EvictionStrategy = EvictionStrategy.INTELLIGENT
    STORAGE_EVICTION_AGGRESSIVENESS: Aggressiveness = Aggressiveness.MODERATE
    STORAGE_EVICTION_PRESERVE_POPULAR: bool = True
    STORAGE_EVICTION_MIN_ACCESS_COUNT: int = Field(default=5, ge=1, description="accesses")
    STORAGE_EVICTION_MAX_FILE_AGE_DAYS: float = Field(default=7, gt=0, description="days")
    # media-stream's own
    STORAGE_EVICTION_GRACE: int = Field(default=60_000, ge=0, description="milliseconds")
    STORAGE_CHECK_INTERVAL: int = Field(default=60_000, ge=100, description="milliseconds")
    ACCESS_INDEX_ENABLED: bool = True
    ACCESS_INDEX_URL: str = ""
    ACCESS_INDEX_FLUSH_INTERVAL: int = Field(default=2_000, ge=10, le=600_000, description="ms")
    ACCESS_INDEX_BATCH_SIZE: int = Field(default=1_000, ge=1, le=100_000)
    ACCESS_INDEX_HALF_LIFE_HOURS: float = Field(default=72, gt=0, description="hours")

    @field_validator("STORAGE_EVICTION_STRATEGY", mode="before")
    @classmethod
    def _strategy(cls, value: object) -> object:
        return EvictionStrategy.parse(value) if isinstance(value, str) else value

    @field_validator("STORAGE_EVICTION_AGGRESSIVENESS", mode="before")
    @classmethod
    def _aggressiveness(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("STORAGE_CLEANUP_CRON")
    @classmethod
    def _cleanup_cron(cls, value: str) -> str:
        value = " ".join(value.split())
        if value:
            CronSchedule.parse(value)  # raises ValueError naming the bad field
        return value

    @field_validator("ACCESS_INDEX_URL")
    @classmethod
    def _index_url(cls, value: str) -> str:
        value = value.strip()
        scheme = urlsplit(value).scheme.split("+")[0]
        if value and scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("must be empty, a sqlite:/// or a postgresql:// URL")
        return value

    def access_index_url_in(self, directory: Path) -> str:
        """ACCESS_INDEX_URL, or the embedded default: a SQLite file in `directory`."""
        if self.ACCESS_INDEX_URL:
            return self.ACCESS_INDEX_URL
        return f"sqlite:///{(directory / INDEX_FILE).absolute()}"

    @property
    def access_index_embedded(self) -> bool:
        """Whether the index is this node's own SQLite file (which migrates itself on start)."""
        return not self.ACCESS_INDEX_URL or self.ACCESS_INDEX_URL.startswith("sqlite")


def storage_thresholds(settings: StorageSettings) -> StorageThresholds:
    return StorageThresholds(
        max_size=settings.STORAGE_MAX_SIZE,
        warning_size=settings.STORAGE_WARNING_SIZE,
        critical_size=settings.STORAGE_CRITICAL_SIZE,
        warning_files=settings.STORAGE_WARNING_FILE_COUNT,
        critical_files=settings.STORAGE_CRITICAL_FILE_COUNT,
    )


def eviction_policy(settings: StorageSettings) -> EvictionPolicy:
    return EvictionPolicy(
        strategy=settings.STORAGE_EVICTION_STRATEGY,
        preserve_popular=settings.STORAGE_EVICTION_PRESERVE_POPULAR,
        min_access_count=settings.STORAGE_EVICTION_MIN_ACCESS_COUNT,
        half_life=settings.ACCESS_INDEX_HALF_LIFE_HOURS * 3600,
        grace_seconds=settings.STORAGE_EVICTION_GRACE / 1000,
        age_seconds=settings.STORAGE_EVICTION_MAX_FILE_AGE_DAYS * DAY,
    )


def retention_policy(settings: StorageSettings) -> RetentionPolicy:
    return RetentionPolicy(unused_seconds=settings.STORAGE_MAX_FILE_AGE_DAYS * DAY)
