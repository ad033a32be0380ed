"""Which format an original is in, told from its first bytes rather than from its name."""

from __future__ import annotations

from enum import StrEnum

from application.errors import NotAnImage
from domain.svg_prologue import opens_an_svg

_SVG_SNIFF_BYTES = 8192

_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class SourceFormat(StrEnum):
    """An original's format; `pillow_name` is the only plugin allowed to open it."""

    JPEG = "JPEG"
    PNG = "PNG"
    GIF = "GIF"
    WEBP = "WEBP"
    AVIF = "AVIF"
    TIFF = "TIFF"
    BMP = "BMP"
    SVG = "SVG"

    @property
    def pillow_name(self) -> str:
        return self.value


def sniff(data: bytes) -> SourceFormat:
    """The format `data` is in, or `NotAnImage` when no supported signature matches."""
    raster = _raster_format(data)
    if raster is not None:
        return raster
    if opens_an_svg(data[:_SVG_SNIFF_BYTES]):
        return SourceFormat.SVG
    if _iso_brands(data) & _HEIF_BRANDS:
        raise NotAnImage("HEIF/HEIC originals are not supported, only AVIF")
    raise NotAnImage("the bytes are not an image in a supported format")


def _raster_format(data: bytes) -> SourceFormat | None:
    if data.startswith(b"\xff\xd8\xff"):
        return SourceFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return SourceFormat.PNG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return SourceFormat.GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return SourceFormat.WEBP
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return SourceFormat.TIFF
    if data[:2] == b"BM" and len(data) >= 26:
        return SourceFormat.BMP
    if _iso_brands(data) & _AVIF_BRANDS:
        return SourceFormat.AVIF
    return None


def _iso_brands(data: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO-BMFF `ftyp` box (AVIF, HEIF), if any."""
    if data[4:8] != b"ftyp":
        return set()
    box_end = min(int.from_bytes(data[:4], "big"), len(data), 256)
    # bytes 12..16 are the minor version, not a brand
    brands = {data[8:12]}
    brands.update(data[offset : offset + 4] for offset in range(16, box_end - 3, 4))
    return brands
