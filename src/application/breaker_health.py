"""Health of the origin circuit breakers of this process."""

from __future__ import annotations

from application.origin_circuits import OriginCircuits
from application.ports.health import Detail, HealthIndicator, HealthReport, HealthStatus
from domain.breaker import BreakerState


class OriginBreakerIndicator(HealthIndicator):
    """`breaker`: `down` while an origin's breaker is open, `warn` while one is half-open."""

    def __init__(self, circuits: OriginCircuits) -> None:
        self._circuits = circuits

    @property
    def name(self) -> str:
        return "breaker"

    async def check(self) -> HealthReport:
        states = {origin: s.state for origin, s in self._circuits.snapshots().items()}
        details: dict[str, Detail] = {origin: state.value for origin, state in states.items()}
        if BreakerState.OPEN in states.values():
            return HealthReport(HealthStatus.DOWN, details)
        if BreakerState.HALF_OPEN in states.values():
            return HealthReport(HealthStatus.WARN, details)
        return HealthReport(HealthStatus.UP, details)
