"""The renderer's side of the one sniffer (`domain.image_formats`): which Pillow plugin may
open an original, and the refusal of what it cannot decode."""

from __future__ import annotations

from application.errors import NotAnImage, UnsupportedFormat
from domain.image_formats import SourceFormat, sniff_image

__all__ = ["SourceFormat", "sniff"]


def sniff(data: bytes) -> SourceFormat:
    """The format `data` is in; `UnsupportedFormat` for HEIF (remembered as missing, like an
    origin 404), `NotAnImage` when no supported signature matches."""
    kind = sniff_image(data)
    if kind is None:
        raise NotAnImage("the bytes are not an image in a supported format")
    if not kind.decodable:
        raise UnsupportedFormat("HEIF/HEIC originals are not supported, only AVIF")
    return kind
