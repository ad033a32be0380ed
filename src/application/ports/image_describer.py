"""Port: tell what an original is (size, frames, alpha, colour, placeholder) from its bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What decoding an original showed: its upright size, source format (`jpeg`, `png` ...),
    frame count, whether any pixel is transparent, the dominant colour (`#rrggbb`), the
    ThumbHash of a small copy, and a tiny PNG preview."""

    width: int
    height: int
    format: str
    frames: int
    has_alpha: bool
    dominant_color: str
    thumbhash: bytes
    preview_png: bytes


class ImageDescriber(Protocol):
    """Describes an original's bytes off the event loop, or raises a `ProcessingError`."""

    async def describe(self, original: bytes) -> ImageFacts: ...
