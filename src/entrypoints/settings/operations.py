"""Running the node: slow-request logs, shutdown, health thresholds, monitoring."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode


class OperationsSettings(BaseSettings):
    """SLOW_REQUEST_THRESHOLD_MS, SHUTDOWN_*, HEALTH_*, MONITORING_*, PERFORMANCE_*."""

    SLOW_REQUEST_THRESHOLD_MS: int = Field(default=1_000, ge=0, description="0 = off")
    SHUTDOWN_TIMEOUT: int = Field(default=25_000, ge=0, description="milliseconds")
    SHUTDOWN_FORCE_TIMEOUT: int = Field(default=30_000, ge=100, description="milliseconds")
    HEALTH_CHECK_TIMEOUT: int = Field(default=2_000, ge=10, description="milliseconds")
    HEALTH_DISK_WARN_PERCENT: float = Field(default=90.0, gt=0, le=100)
    HEALTH_DISK_DOWN_PERCENT: float = Field(default=98.0, gt=0, le=100)
    HEALTH_MEMORY_WARN_PERCENT: float = Field(default=85.0, gt=0, le=100)
    HEALTH_MEMORY_DOWN_PERCENT: float = Field(default=95.0, gt=0, le=100)
    MONITORING_ENABLED: bool = True
    MONITORING_INTERVAL: int = Field(default=10_000, ge=50, description="milliseconds")
    MONITORING_PERFORMANCE_INTERVAL: int = Field(default=10_000, ge=50, description="ms")
    PERFORMANCE_WINDOW: int = Field(default=300, ge=1, description="seconds")
    PERFORMANCE_MIN_SAMPLES: int = Field(default=50, ge=1)
    PERFORMANCE_DEGRADATION_FACTOR: float = Field(default=2.0, ge=0)
    PERFORMANCE_THRESHOLDS_MS: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: {"total": 3_000}
    )

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
