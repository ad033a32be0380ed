"""Use case: be the one node of the cluster that runs a schedule (ADR 28)."""

from __future__ import annotations

from application.ports.work_leases import WorkLeases


class ScheduleLease:
    """Whether this node runs schedule `name` now: the node that holds its lease (renewed at
    each run, taken by another node once it lapses) is the cluster's one scheduler.

    With shared state in memory the leases are the node's own, so the node schedules alone;
    with Redis away the leases fail open and each node runs its schedule (every scheduled job
    is idempotent, so twice costs time, not correctness).
    """

    def __init__(self, leases: WorkLeases, name: str, seconds: float) -> None:
        self._leases = leases
        self._name = f"schedule:{name}"
        self._seconds = seconds
        self._token: str | None = None

    async def held(self) -> bool:
        """Keep or take the lease; True when this node runs the schedule now."""
        if self._token is not None and await self._leases.renew(
            self._name, self._token, self._seconds
        ):
            return True
        self._token = await self._leases.acquire(self._name, self._seconds)
        return self._token is not None

    async def release(self) -> None:
        """Let another node take the schedule at once (this one is stopping)."""
        token, self._token = self._token, None
        if token is not None:
            await self._leases.release(self._name, token)
