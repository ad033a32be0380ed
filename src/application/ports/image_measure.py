"""Port: an original's size from its header, without decoding its pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SourceSize:
    """An original's stored size and whether it has more than one frame."""

    width: int
    height: int
    animated: bool

    @property
    def pixels(self) -> int:
        return self.width * self.height


class ImageMeasure(Protocol):
    """Reads an original's size from its first bytes; None when they are no image it knows."""

    def measure(self, original: bytes) -> SourceSize | None: ...
