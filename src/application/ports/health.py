"""Port: one health indicator, a named check of something the service depends on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

Detail = str | int | float | bool | None


class HealthStatus(StrEnum):
    """`up` works, `warn` works but needs a look, `down` does not work."""

    UP = "up"
    WARN = "warn"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class HealthReport:
    """What an indicator found: a status and plain details (numbers, strings, flags)."""

    status: HealthStatus
    details: Mapping[str, Detail] = field(default_factory=dict)


class HealthIndicator(Protocol):
    """Checks one dependency cheaply (no origin fetch, no heavy I/O) and reports its health."""

    @property
    def name(self) -> str:
        """The indicator's key in health answers (`disk`, `memory`, `origin`, ...)."""
        ...

    async def check(self) -> HealthReport: ...
