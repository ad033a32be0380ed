"""A load gauge that reads whatever it was last set to."""

from __future__ import annotations

from dataclasses import replace

from application.ports.load_gauge import LoadGauge
from domain.load import LoadReading


class FixedLoadGauge(LoadGauge):
    """Answers the reading it was given; `set` changes it (tests raise and lower the load)."""

    def __init__(self, reading: LoadReading | None = None) -> None:
        self._reading = reading or LoadReading()

    def reading(self) -> LoadReading:
        return self._reading

    def set(
        self,
        *,
        cpu: float | None = None,
        loop_lag_ms: float | None = None,
        queue_fill: float | None = None,
    ) -> None:
        """Replace the named parts of the reading, keep the others."""
        changes = {"cpu": cpu, "loop_lag_ms": loop_lag_ms, "queue_fill": queue_fill}
        self._reading = replace(
            self._reading, **{name: value for name, value in changes.items() if value is not None}
        )

    async def close(self) -> None:
        return None
