"""The limits an original must stay within, and the translation of decoder errors to port errors."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image

from adapters.pillow.geometry import Size
from application.errors import DecodeFailed, DecompressionBomb, ProcessingError


@dataclass(frozen=True, slots=True)
class SourceLimits:
    """How much work an original may cost: pixels of one frame, frame count, pixels of all
    frames, and seconds of SVG rasterising (the one step that runs in a killable process)."""

    max_source_pixels: int = 50_000_000
    max_frames: int = 500
    max_animation_pixels: int = 100_000_000
    max_render_seconds: float = 20.0

    def check(self, size: Size, frames: int) -> None:
        """Refuse, from the header alone, an original that would be too costly to decode."""
        if size.pixels > self.max_source_pixels:
            raise DecompressionBomb(
                f"the image is {size.width}x{size.height}, above {self.max_source_pixels} pixels"
            )
        if frames > self.max_frames:
            raise DecompressionBomb(f"the image has {frames} frames, above {self.max_frames}")
        if frames * size.pixels > self.max_animation_pixels:
            raise DecompressionBomb(
                f"{frames} frames of {size.width}x{size.height} are above "
                f"{self.max_animation_pixels} pixels"
            )


def guard_pillow(limits: SourceLimits) -> None:
    """Make Pillow's own bomb check agree with `limits` and fail instead of warning.

    Both settings are process-wide: Pillow reads a module global, and `warnings.catch_warnings`
    is not thread-safe, so a per-call filter would race between executor threads. Our header
    check in `SourceLimits.check` stays the authority; this is the second line.
    """
    Image.MAX_IMAGE_PIXELS = limits.max_source_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


@contextmanager
def decoding() -> Iterator[None]:
    """Translate whatever a decoder raises on bad bytes into a `ProcessingError`.

    Decoder plugins raise a wide and undocumented range of exceptions on malformed input
    (OSError, SyntaxError, struct.error, IndexError, EOFError, ...), so anything but our own
    errors is a failed decode: the caller answers with the fallback image, never a 500.
    """
    try:
        yield
    except ProcessingError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBomb(str(exc)) from exc
    except Exception as exc:
        raise DecodeFailed(f"the image could not be decoded: {exc}") from exc
