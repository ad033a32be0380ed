"""Which format an original is in, told from its first bytes: the service's one sniffer.

The origin reads it before it takes a body (a byte cap per format, a refusal for what is no
image or cannot be decoded), and the renderer before it lets a decoder near the bytes. Never
from a Content-Type or a file name: an origin that serves an HTML error page as `image/jpeg`
is caught from its first bytes.
"""

from __future__ import annotations

from enum import StrEnum

from domain.svg_prologue import opens_an_svg

# Enough for any raster signature and for an SVG's prologue (BOM, XML declaration, comments,
# a DOCTYPE) before its root element.
SNIFF_BYTES = 8192

_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})


class SourceFormat(StrEnum):
    """An original's format. HEIF is recognised so that it can be refused from its first
    bytes: the renderer has no decoder for it (AVIF, the same container, it has)."""

    JPEG = "JPEG"
    PNG = "PNG"
    GIF = "GIF"
    WEBP = "WEBP"
    AVIF = "AVIF"
    TIFF = "TIFF"
    BMP = "BMP"
    SVG = "SVG"
    HEIF = "HEIF"

    @property
    def decodable(self) -> bool:
        """Whether the renderer can decode this format."""
        return self is not SourceFormat.HEIF


def sniff_image(head: bytes) -> SourceFormat | None:
    """The format the first bytes of an original show (give at least `SNIFF_BYTES` of them
    when it is that long), or None when they are not an image."""
    if head.startswith(b"\xff\xd8\xff"):
        return SourceFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return SourceFormat.PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return SourceFormat.GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return SourceFormat.WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return SourceFormat.TIFF
    if head[:2] == b"BM" and len(head) >= 26:
        return SourceFormat.BMP
    brands = _iso_brands(head)
    if brands & _AVIF_BRANDS:
        return SourceFormat.AVIF
    if opens_an_svg(head[:SNIFF_BYTES]):
        return SourceFormat.SVG
    if brands & _HEIF_BRANDS:
        return SourceFormat.HEIF
    return None


def _iso_brands(head: bytes) -> frozenset[bytes]:
    """The major and compatible brands of an ISO-BMFF `ftyp` box (AVIF, HEIF), if any."""
    if head[4:8] != b"ftyp":
        return frozenset()
    box_end = min(int.from_bytes(head[:4], "big"), len(head), 256)
    # bytes 12..16 are the minor version, not a brand
    brands = {head[8:12]}
    brands.update(head[offset : offset + 4] for offset in range(16, box_end - 3, 4))
    return frozenset(brands)
