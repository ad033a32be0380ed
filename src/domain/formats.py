"""Output formats and what each can carry."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    """A concrete encoding the service can answer with."""

    WEBP = "webp"
    AVIF = "avif"
    JPEG = "jpeg"
    PNG = "png"
    GIF = "gif"
    TIFF = "tiff"
    SVG = "svg"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def has_alpha(self) -> bool:
        return self is not OutputFormat.JPEG

    @property
    def can_animate(self) -> bool:
        return self in {OutputFormat.GIF, OutputFormat.WEBP, OutputFormat.PNG, OutputFormat.AVIF}


_MEDIA_TYPES = {
    OutputFormat.WEBP: "image/webp",
    OutputFormat.AVIF: "image/avif",
    OutputFormat.JPEG: "image/jpeg",
    OutputFormat.PNG: "image/png",
    OutputFormat.GIF: "image/gif",
    OutputFormat.TIFF: "image/tiff",
    OutputFormat.SVG: "image/svg+xml",
}


class RequestedFormat(StrEnum):
    """The `format` segment of a URL: a concrete format, or `auto` (negotiated from Accept)."""

    WEBP = "webp"
    AVIF = "avif"
    JPEG = "jpeg"
    PNG = "png"
    GIF = "gif"
    TIFF = "tiff"
    SVG = "svg"
    AUTO = "auto"

    @classmethod
    def parse(cls, text: str) -> RequestedFormat | None:
        """The format named by a URL extension (`jpg` is `jpeg`), or None when unknown."""
        name = "jpeg" if text == "jpg" else text
        try:
            return cls(name)
        except ValueError:
            return None
