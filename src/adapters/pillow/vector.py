"""SVG originals as pictures: rasterised by resvg at the size the result needs (sharp vectors)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import resvg_py
from PIL import Image

from adapters.pillow.colour import normalised
from adapters.pillow.geometry import Size
from adapters.pillow.guards import SourceLimits, decoding
from adapters.pillow.picture import Frame
from adapters.pillow.svg import SvgDocument
from application.errors import DecodeFailed


class VectorPicture:
    """A sanitised SVG; see `Picture`. Every `still` is a fresh rendering at the asked size."""

    def __init__(self, document: SvgDocument, limits: SourceLimits) -> None:
        self._document = document
        self._limits = limits

    @property
    def size(self) -> Size:
        return self._document.size

    @property
    def frame_count(self) -> int:
        return 1

    @property
    def loop(self) -> int | None:
        return None

    def still(self, target: Size | None) -> Image.Image:
        rendered = rasterise(self._document, self._render_size(target or self.size))
        with decoding():
            image = Image.open(io.BytesIO(rendered), formats=["PNG"])
            image.load()
            return normalised(image)

    def has_more_detail_than(self, size: Size) -> bool:
        # a vector has detail at any size; the pixel limit is the only ceiling
        return size.pixels < self._limits.max_source_pixels

    def frames(self) -> Iterator[Frame]:
        yield Frame(self.still(None))

    def _render_size(self, target: Size) -> Size:
        """The intrinsic aspect, covering `target` on both axes, within the pixel limit."""
        natural = self.size
        scale = max(target.width / natural.width, target.height / natural.height)
        ceiling = (self._limits.max_source_pixels / natural.pixels) ** 0.5
        if scale <= ceiling:
            return natural.scaled(scale, scale)
        # rounded down: a pixel row over the limit would trip Pillow's bomb check on reading
        return Size(max(1, int(natural.width * ceiling)), max(1, int(natural.height * ceiling)))


def rasterise(document: SvgDocument, size: Size) -> bytes:
    """PNG bytes of `document` fitted into `size` (resvg keeps the aspect ratio)."""
    try:
        rendered = resvg_py.svg_to_bytes(
            svg_string=document.data.decode("utf-8"), width=size.width, height=size.height
        )
    except Exception as exc:  # resvg_py documents ValueError; any failure means no raster
        raise DecodeFailed(f"the SVG could not be rendered: {exc}") from exc
    return bytes(rendered)
