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

from domain.svg_prologue import opens_an_svg

MIB = 1024 * 1024
# Enough for any raster signature and for an SVG's prologue (BOM, XML declaration, comments,
# a DOCTYPE) before its root element.
SNIFF_BYTES = 8192

_ISO_IMAGE_BRANDS = frozenset(
    {b"avif", b"avis", b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
)


class OriginalFormat(StrEnum):
    """The format of an original as far as byte caps care."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"
    SVG = "svg"
    OTHER = "other"  # AVIF, TIFF, BMP, HEIF: an image, capped by the general limit


def sniff_original(head: bytes) -> OriginalFormat | None:
    """The format the first bytes of a body show (give at least `SNIFF_BYTES` of them when
    the body is that long), or None when they are not an image."""
    if head.startswith(b"\xff\xd8\xff"):
        return OriginalFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return OriginalFormat.PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return OriginalFormat.WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return OriginalFormat.GIF
    if opens_an_svg(head[:SNIFF_BYTES]):
        return OriginalFormat.SVG
    if head[:4] in (b"II*\x00", b"MM\x00*") or (head[:2] == b"BM" and len(head) >= 26):
        return OriginalFormat.OTHER
    if head[4:8] == b"ftyp" and _iso_brands(head) & _ISO_IMAGE_BRANDS:
        return OriginalFormat.OTHER
    return None


def _iso_brands(head: bytes) -> set[bytes]:
    box_end = min(int.from_bytes(head[:4], "big"), len(head), 256)
    brands = {head[8:12]}  # bytes 12..16 are the minor version, not a brand
    brands.update(head[offset : offset + 4] for offset in range(16, box_end - 3, 4))
    return brands


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
