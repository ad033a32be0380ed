"""Work leases held in process memory: coordination between the tasks of one process."""

from __future__ import annotations

import secrets

from application.ports.clock import Clock
from application.ports.work_leases import WorkLeases


class MemoryWorkLeases(WorkLeases):
    """Leases in a dict of `name -> (token, expiry)`, timed by `clock`.

    One instance shared by several simulated nodes coordinates them the way Redis
    coordinates real ones. Expired leases are dropped when met.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._leases: dict[str, tuple[str, float]] = {}

    async def acquire(self, name: str, seconds: float) -> str | None:
        if self._holder(name) is not None:
            return None
        token = secrets.token_hex(16)
        self._leases[name] = (token, self._clock.now() + seconds)
        return token

    async def renew(self, name: str, token: str, seconds: float) -> bool:
        if self._holder(name) != token:
            return False
        self._leases[name] = (token, self._clock.now() + seconds)
        return True

    async def release(self, name: str, token: str) -> None:
        if self._holder(name) == token:
            del self._leases[name]

    async def is_held(self, name: str) -> bool:
        return self._holder(name) is not None

    def _holder(self, name: str) -> str | None:
        lease = self._leases.get(name)
        if lease is None:
            return None
        token, until = lease
        if until <= self._clock.now():
            del self._leases[name]
            return None
        return token
