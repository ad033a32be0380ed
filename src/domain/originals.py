"""How large an original may be, by the format its first bytes show.

The format is told from magic numbers, never from a Content-Type or a file name: an origin
that serves an HTML error page as `image/jpeg` is caught here, before anything decodes it.
Each format has its own byte cap (`SourceByteCaps`); formats without one of their own (AVIF,
TIFF, BMP, HEIF) share the `other` cap, which is also the largest a body may be before its
format is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.image_formats import SNIFF_BYTES, SourceFormat, sniff_image

__all__ = ["MIB", "SNIFF_BYTES", "OriginalFormat", "SourceByteCaps", "capped_as", "sniff_original"]

MIB = 1024 * 1024


class OriginalFormat(StrEnum):
    """The format of an original as far as byte caps care."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"
    SVG = "svg"
    OTHER = "other"  # AVIF, TIFF, BMP, HEIF: an image, capped by the general limit


_CAPPED_BY_NAME = {
    SourceFormat.JPEG: OriginalFormat.JPEG,
    SourceFormat.PNG: OriginalFormat.PNG,
    SourceFormat.WEBP: OriginalFormat.WEBP,
    SourceFormat.GIF: OriginalFormat.GIF,
    SourceFormat.SVG: OriginalFormat.SVG,
}


def capped_as(kind: SourceFormat) -> OriginalFormat:
    """The byte-cap group of a format."""
    return _CAPPED_BY_NAME.get(kind, OriginalFormat.OTHER)


def sniff_original(head: bytes) -> OriginalFormat | None:
    """The byte-cap group of the format the first bytes show (`sniff_image`), or None when
    they are not an image."""
    found = sniff_image(head)
    return None if found is None else capped_as(found)


@dataclass(frozen=True, slots=True)
class SourceByteCaps:
    """The largest original accepted, in bytes, per format."""

    jpeg: int = 5 * MIB
    png: int = 8 * MIB
    webp: int = 3 * MIB
    gif: int = 2 * MIB
    svg: int = 1 * MIB
    other: int = 10 * MIB

    def __post_init__(self) -> None:
        for name in ("jpeg", "png", "webp", "gif", "svg", "other"):
            if getattr(self, name) < 1:
                raise ValueError(f"the {name} cap must be positive")

    def cap_for(self, original: OriginalFormat) -> int:
        """The cap of a format once it is known."""
        caps = {
            OriginalFormat.JPEG: self.jpeg,
            OriginalFormat.PNG: self.png,
            OriginalFormat.WEBP: self.webp,
            OriginalFormat.GIF: self.gif,
            OriginalFormat.SVG: self.svg,
        }
        return caps.get(original, self.other)

    @property
    def largest(self) -> int:
        """The cap before the format is known: no format may be larger."""
        return max(self.jpeg, self.png, self.webp, self.gif, self.svg, self.other)
