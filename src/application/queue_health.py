"""Health indicator: the background job queues, as this node sees them (ADR 27)."""

from __future__ import annotations

import logging

from application.ports.health import Detail, HealthIndicator, HealthReport, HealthStatus
from application.ports.job_queue import JobQueue
from application.ports.metrics import NO_METRICS, Metrics

log = logging.getLogger(__name__)


class QueueIndicator(HealthIndicator):
    """`queue`: jobs waiting, retrying, in progress and dead per queue, and the workers alive.

    `warn` when jobs are dead-lettered (`media-stream jobs retry-dead`) or the broker cannot be
    read (jobs wait; heavy renders are made here); never `down`: requests do not need it. Each
    check also sets the queue-depth and dead-letter gauges.
    """

    def __init__(self, queue: JobQueue, broker: str, metrics: Metrics = NO_METRICS) -> None:
        self._queue = queue
        self._broker = broker
        self._metrics = metrics

    @property
    def name(self) -> str:
        return "queue"

    async def check(self) -> HealthReport:
        details: dict[str, Detail] = {"broker": self._broker}
        try:
            stats = await self._queue.stats()
            details["workers"] = await self._queue.workers_alive()
        except Exception as exc:
            log.warning("the job queue cannot be read: %s", exc)
            return HealthReport(HealthStatus.WARN, details | {"error": type(exc).__name__})
        dead = 0
        for queue in stats:
            self._metrics.job_queue(queue=queue.queue, waiting=queue.waiting, dead=queue.dead)
            details[f"{queue.queue}Waiting"] = queue.waiting
            details[f"{queue.queue}Retrying"] = queue.retrying
            details[f"{queue.queue}Dead"] = queue.dead
            dead += queue.dead
        return HealthReport(HealthStatus.WARN if dead else HealthStatus.UP, details)
