"""Health of the shared Redis layer, as this node sees it."""

from __future__ import annotations

from adapters.redis.circuit import RedisCircuit
from adapters.redis.flush_broadcast import RedisFlushBroadcast
from application.ports.health import Detail, HealthIndicator, HealthReport, HealthStatus


class RedisIndicator(HealthIndicator):
    """`redis`: probed unless its circuit is open and still pausing; `down` keeps the reason.

    Without Redis configured it is `up` with `configured: false`: nothing to depend on.
    """

    def __init__(
        self, circuit: RedisCircuit | None, broadcast: RedisFlushBroadcast | None = None
    ) -> None:
        self._circuit = circuit
        self._broadcast = broadcast

    @property
    def name(self) -> str:
        return "redis"

    async def check(self) -> HealthReport:
        if self._circuit is None:
            return HealthReport(HealthStatus.UP, {"configured": False})
        state = await self._circuit.ping()
        listening = self._broadcast is not None and self._broadcast.listening
        details: dict[str, Detail] = {
            "configured": True,
            "flushSubscription": "listening" if listening else "reconnecting",
        }
        if state.up:
            return HealthReport(HealthStatus.UP, details)
        details |= {
            "error": state.last_error,
            "failedAttempts": state.failures,
            "retryInSeconds": round(state.retry_in, 3),
        }
        return HealthReport(HealthStatus.DOWN, details)
