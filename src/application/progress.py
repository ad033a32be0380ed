"""Port-like hook for long runs: the CLI draws progress bars, everything else passes none."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told when a stage of a long run begins (with its size, when known) and advances."""

    def begin(self, stage: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class NoProgress(Progress):
    """Reports nothing."""

    def begin(self, stage: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None
