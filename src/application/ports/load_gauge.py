"""Port: how busy this node is right now."""

from __future__ import annotations

from typing import Protocol

from domain.load import LoadReading


class LoadGauge(Protocol):
    """Answers the node's current (smoothed) CPU use, event-loop lag and render queue fill."""

    def reading(self) -> LoadReading: ...

    async def close(self) -> None: ...
