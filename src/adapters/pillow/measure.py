"""`PillowImageMeasure`: an original's size from its header (Pillow opens lazily)."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from application.ports.image_measure import ImageMeasure, SourceSize


class PillowImageMeasure(ImageMeasure):
    """Size and animation from the header only; any failure answers None (the renderer
    reports the image's problem when it renders it)."""

    def measure(self, original: bytes) -> SourceSize | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(original)) as image:
                    width, height = image.size
                    animated = bool(getattr(image, "is_animated", False))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None
        return SourceSize(width, height, animated)
