"""Trimming: finding the content inside borders that match the requested background.

The threshold (1..100) scales the allowed per-channel difference linearly over the 8-bit
range: a pixel matches when every channel, alpha included, is within ceil(trim * 255 / 100) of
the background (5 allows 13, enough for JPEG noise around a white margin; 100 matches
everything). Against a transparent background only alpha counts, since a fully transparent
pixel looks the same whatever its colour; an opaque image therefore never matches it.
"""

from __future__ import annotations

import math
from functools import reduce

from PIL import Image, ImageChops

from domain.transform import MAX_TRIM, Background

BoundingBox = tuple[int, int, int, int]


def trim_box(image: Image.Image, background: Background, trim: int) -> BoundingBox:
    """The box of `image` left after trimming; the whole image when nothing or all would go."""
    content = content_box(image, background, trim)
    return content if content is not None else whole(image)


def content_box(image: Image.Image, background: Background, trim: int) -> BoundingBox | None:
    """The box of pixels that differ from `background`, or None when every pixel matches it."""
    if trim == 0:
        return whole(image)
    tolerance = math.ceil(trim * 255 / MAX_TRIM)
    distance = _distance(image, background, tolerance)
    if distance is None:
        return whole(image)
    differs = distance.point([0 if value <= tolerance else 255 for value in range(256)])
    return differs.getbbox()


def union(first: BoundingBox | None, second: BoundingBox | None) -> BoundingBox | None:
    """The smallest box holding both (None holds nothing)."""
    if first is None or second is None:
        return first or second
    return (
        min(first[0], second[0]),
        min(first[1], second[1]),
        max(first[2], second[2]),
        max(first[3], second[3]),
    )


def whole(image: Image.Image) -> BoundingBox:
    return (0, 0, image.width, image.height)


def _distance(image: Image.Image, background: Background, tolerance: int) -> Image.Image | None:
    """Per pixel, the largest channel difference to the background; None if none can match."""
    if background.is_transparent:
        return image.getchannel("A") if image.mode == "RGBA" else None
    if image.mode == "RGB":
        if 255 - background.alpha > tolerance:
            return None
        reference = Image.new("RGB", image.size, background.rgba[:3])
    else:
        reference = Image.new("RGBA", image.size, background.rgba)
    channels = ImageChops.difference(image, reference).split()
    return reduce(ImageChops.lighter, channels)
