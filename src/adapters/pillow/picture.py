"""What the pipeline needs from an opened original, raster or vector."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from adapters.pillow.geometry import Size

DEFAULT_FRAME_MS = 100


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of an animation and how long it shows, in milliseconds."""

    image: Image.Image
    duration: int = DEFAULT_FRAME_MS


class Picture(Protocol):
    """An opened original; every image it yields is upright, sRGB, RGB or RGBA."""

    @property
    def size(self) -> Size:
        """The natural size, after EXIF orientation."""
        ...

    @property
    def frame_count(self) -> int: ...

    @property
    def loop(self) -> int | None:
        """How often an animation repeats (0 = forever), None when it plays once."""
        ...

    def still(self, target: Size | None) -> Image.Image:
        """The first frame with at least `target` pixels per axis where it can, or natural size."""
        ...

    def has_more_detail_than(self, size: Size) -> bool:
        """Whether decoding again could give more pixels than an image of `size`."""
        ...

    def frames(self) -> Iterator[Frame]:
        """Every frame at natural size, decoded one at a time."""
        ...
