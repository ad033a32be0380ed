"""Bringing every decoded frame to 8-bit sRGB, RGB or RGBA, so later steps meet two modes only."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageCms

_READY_MODES = ("RGB", "RGBA")
_PROFILED_MODES = ("RGB", "RGBA", "CMYK")


def normalised(image: Image.Image) -> Image.Image:
    """`image` in sRGB as RGB, or RGBA when it carries transparency."""
    image = _to_srgb(image)
    if image.mode in _READY_MODES:
        return image
    if image.mode.startswith("I") or image.mode == "F":
        return _to_eight_bit(image).convert("RGB")
    if image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("RGB")


def _to_eight_bit(image: Image.Image) -> Image.Image:
    # Pillow's own conversion clips 16- and 32-bit samples at 255 (a white image); scale instead
    if image.mode.startswith("I;16"):
        high = 65535.0
    else:
        high = float(image.getextrema()[1])  # type: ignore[arg-type]
        if image.mode == "I" and high <= 255:
            high = 255.0
    wide = image if image.mode == "F" else image.convert("I")
    factor = 255.0 / max(high, 1.0)
    return wide.point(lambda value: value * factor).convert("L")


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded ICC profile; a broken profile costs accuracy, not the image."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in _PROFILED_MODES:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, profile, _srgb(), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
