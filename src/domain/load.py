"""How busy a node is, and how much that tightens the rate limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoadReading:
    """One measurement: CPU use (0..1 of every core), event-loop lag (ms), render queue fill
    (0..1 of `IMAGE_QUEUE_MAX`)."""

    cpu: float = 0.0
    loop_lag_ms: float = 0.0
    queue_fill: float = 0.0


@dataclass(frozen=True, slots=True)
class Pressure:
    """One signal's range: nothing below `busy`, the limits at their floor from `saturated`."""

    busy: float
    saturated: float

    def excess(self, value: float) -> float:
        """0 at or below `busy`, 1 at or above `saturated`, linear between."""
        if value <= self.busy:
            return 0.0
        return min(1.0, (value - self.busy) / (self.saturated - self.busy))


@dataclass(frozen=True, slots=True)
class AdaptiveLimits:
    """Scales the rate limits down as the most pressed signal nears saturation.

    Limits keep their configured size until a signal passes `busy`, then shrink linearly to
    `floor` of it at `saturated`; they grow back as soon as the readings fall again (the
    gauge smooths its readings, so recovery follows the load without flapping).
    """

    cpu: Pressure = Pressure(busy=0.75, saturated=0.98)
    loop_lag_ms: Pressure = Pressure(busy=50.0, saturated=500.0)
    queue_fill: Pressure = Pressure(busy=0.25, saturated=1.0)
    floor: float = 0.2

    def factor(self, reading: LoadReading) -> float:
        """The share (floor..1) of the configured limits to apply under `reading`."""
        excess = max(
            self.cpu.excess(reading.cpu),
            self.loop_lag_ms.excess(reading.loop_lag_ms),
            self.queue_fill.excess(reading.queue_fill),
        )
        return 1.0 - excess * (1.0 - self.floor)
