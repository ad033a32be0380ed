"""Where the pixels go for each fit: sizes, the part of the source that is scaled, and the
canvas. Pure arithmetic on sizes, so each fit's rule can be read and tested on its own; the
renderer (`adapters.pillow`) only carries it out."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from domain.transform import MAX_OUTPUT_PIXELS, Box, Fit

_SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class Size:
    """A width and height in pixels."""

    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def fits_within(self, other: Size) -> bool:
        return self.width <= other.width and self.height <= other.height

    def scaled(self, sx: float, sy: float) -> Size:
        """This size scaled per axis, rounded up so nothing is lost, never below 1."""
        # the slack keeps float noise (a scale of 1.0000000001) from adding a pixel
        return Size(
            max(1, math.ceil(self.width * sx - _SLACK)),
            max(1, math.ceil(self.height * sy - _SLACK)),
        )


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of the source in (possibly fractional) source pixels."""

    left: float
    top: float
    width: float
    height: float

    @property
    def corners(self) -> tuple[float, float, float, float]:
        return (self.left, self.top, self.left + self.width, self.top + self.height)


@dataclass(frozen=True, slots=True)
class Layout:
    """Scale `region` of the source to `scaled`, then place it at `offset` on `canvas`."""

    region: Region
    scaled: Size
    canvas: Size
    offset: tuple[int, int]

    @property
    def scale(self) -> tuple[float, float]:
        """How much each axis of the source is magnified (below 1 shrinks)."""
        return (self.scaled.width / self.region.width, self.scaled.height / self.region.height)


def fitted(source: Size, box: Box, fit: Fit) -> Size:
    """The size the whole source is scaled to, before any crop (cover) or padding (contain)."""
    if box.width == 0 and box.height == 0:
        return source
    if box.width == 0:
        return Size(_keep_aspect(source.width, box.height / source.height), box.height)
    if box.height == 0:
        return Size(box.width, _keep_aspect(source.height, box.width / source.width))
    if fit is Fit.FILL:
        return Size(box.width, box.height)
    ratios = (box.width / source.width, box.height / source.height)
    scale = min(ratios) if fit in (Fit.CONTAIN, Fit.INSIDE) else max(ratios)
    # the limiting axis is exact; rounding the other never crosses the box edge
    return Size(_keep_aspect(source.width, scale), _keep_aspect(source.height, scale))


def layout(source: Size, box: Box, fit: Fit, gravity: tuple[float, float]) -> Layout:
    """Where each fit puts the source; `gravity` anchors the crop (cover) or the image (contain)."""
    whole = Region(0.0, 0.0, float(source.width), float(source.height))
    scaled = fitted(source, box, fit)
    both_axes = box.width > 0 and box.height > 0
    if both_axes and fit is Fit.COVER:
        return _cover(source, Size(box.width, box.height), scaled, gravity)
    if both_axes and fit is Fit.CONTAIN:
        canvas = Size(box.width, box.height)
        return Layout(whole, scaled, canvas, _anchor(canvas, scaled, gravity))
    return Layout(whole, scaled, scaled, (0, 0))


def _cover(source: Size, canvas: Size, scaled: Size, gravity: tuple[float, float]) -> Layout:
    # the window is the part of the source that, scaled like the whole, fills the canvas
    window_width = min(source.width, canvas.width * source.width / scaled.width)
    window_height = min(source.height, canvas.height * source.height / scaled.height)
    left = (source.width - window_width) * gravity[0]
    top = (source.height - window_height) * gravity[1]
    region = Region(left, top, window_width, window_height)
    return Layout(region, canvas, canvas, (0, 0))


def with_window_at(plan: Layout, left: float, top: float) -> Layout:
    """The same plan with its source window moved (content-aware cropping)."""
    return replace(plan, region=replace(plan.region, left=left, top=top))


def above_output_limit(plan: Layout) -> Size | None:
    """The canvas or intermediate size of `plan` that is above the output pixel limit, if any."""
    for size in (plan.canvas, plan.scaled):
        if size.pixels > MAX_OUTPUT_PIXELS:
            return size
    return None


def _keep_aspect(extent: int, scale: float) -> int:
    return max(1, round(extent * scale))


def _anchor(canvas: Size, image: Size, gravity: tuple[float, float]) -> tuple[int, int]:
    return (
        round((canvas.width - image.width) * gravity[0]),
        round((canvas.height - image.height) * gravity[1]),
    )
