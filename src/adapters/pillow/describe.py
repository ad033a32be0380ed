"""The `ImageDescriber` port on Pillow: what an original is, told by decoding a small copy.

The original is opened exactly as a render opens it (sniffed, structure-checked, refused from
its header above the limits, upright after EXIF orientation), but only its first frame is
decoded, and a JPEG is shrunk by the decoder on the way: describing a photo costs a fraction
of rendering it.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
from collections import Counter
from concurrent.futures import Executor

from PIL import Image

from adapters.pillow.geometry import Size
from adapters.pillow.guards import SourceLimits, decoding
from adapters.pillow.picture import Picture
from adapters.pillow.processes import RenderProcesses
from adapters.pillow.raster import RasterPicture
from adapters.pillow.sniff import SourceFormat, sniff
from adapters.pillow.svg import sanitise
from adapters.pillow.vector import VectorPicture
from application.errors import DecodeFailed, DecompressionBomb, ProcessingError
from application.ports.image_describer import ImageDescriber, ImageFacts
from domain import thumbhash

log = logging.getLogger(__name__)

# the ThumbHash is taken of a copy at most this large (the algorithm's own ceiling)
HASHED_SIDE = thumbhash.MAX_SIDE
# the data-URI preview: a PNG at most this many pixels on its longer side
PREVIEW_SIDE = 16
# pixels at least this opaque vote for the dominant colour (when there are any)
OPAQUE_ENOUGH = 128


class PillowImageDescriber(ImageDescriber):
    """Describes originals with Pillow on `executor` (threads or render processes), within
    `limits`; bad bytes are a `ProcessingError`, never anything else."""

    def __init__(self, executor: Executor, limits: SourceLimits) -> None:
        self._executor = executor
        self._limits = limits

    async def describe(self, original: bytes) -> ImageFacts:
        loop = asyncio.get_running_loop()
        if not isinstance(self._executor, RenderProcesses):
            context = contextvars.copy_context()
            return await loop.run_in_executor(
                self._executor, context.run, describe_safely, original, self._limits
            )
        try:
            return await loop.run_in_executor(
                self._executor, describe_safely, original, self._limits
            )
        except ProcessingError:
            raise
        except Exception as exc:
            if not self._executor.restart_if_broken(exc):
                log.exception("unexpected failure describing an original")
            raise DecodeFailed(f"the render process failed: {exc!r}") from exc


def describe_safely(original: bytes, limits: SourceLimits) -> ImageFacts:
    """`describe`, with every failure a `ProcessingError`."""
    try:
        return describe(original, limits)
    except ProcessingError:
        raise
    except MemoryError as exc:
        raise DecompressionBomb("the image needs more memory than the node has") from exc
    except Exception as exc:
        log.exception("unexpected failure describing an original")
        raise DecodeFailed(f"the image could not be described: {exc!r}") from exc


def describe(original: bytes, limits: SourceLimits) -> ImageFacts:
    """The facts of `original`: opened within `limits`, its first frame decoded small."""
    kind = sniff(original)
    picture: Picture
    if kind is SourceFormat.SVG:
        picture = VectorPicture(sanitise(original, limits), limits)
    else:
        picture = RasterPicture(original, kind, limits)
    still = picture.still(Size(HASHED_SIDE, HASHED_SIDE))
    with decoding():
        small = still.convert("RGBA")
        small.thumbnail((HASHED_SIDE, HASHED_SIDE), Image.Resampling.BOX)
        has_alpha = still.mode == "RGBA" and _lowest_alpha(still) < 255
        return ImageFacts(
            width=picture.size.width,
            height=picture.size.height,
            format=kind.value.lower(),
            frames=picture.frame_count,
            has_alpha=has_alpha,
            dominant_color=dominant_colour(small),
            thumbhash=thumbhash.encode(small.width, small.height, small.tobytes()),
            preview_png=_preview(small, has_alpha),
        )


def _lowest_alpha(image: Image.Image) -> int:
    lowest, _ = image.getchannel("A").getextrema()
    return int(lowest)  # type: ignore[arg-type]


def dominant_colour(image: Image.Image) -> str:
    """`#rrggbb` of the most common colour of an RGBA image, told apart at 4 bits a channel
    (the average of the pixels in the largest such bucket); transparent pixels do not vote
    unless every pixel is transparent."""
    data = image.tobytes()
    pixels = [(data[i], data[i + 1], data[i + 2], data[i + 3]) for i in range(0, len(data), 4)]
    voters = [pixel for pixel in pixels if pixel[3] >= OPAQUE_ENOUGH] or pixels
    buckets = Counter((r >> 4, g >> 4, b >> 4) for r, g, b, _ in voters)
    winner = buckets.most_common(1)[0][0]
    members = [pixel for pixel in voters if (pixel[0] >> 4, pixel[1] >> 4, pixel[2] >> 4) == winner]
    channels = (round(sum(pixel[axis] for pixel in members) / len(members)) for axis in range(3))
    return "#" + "".join(f"{value:02x}" for value in channels)


def _preview(image: Image.Image, has_alpha: bool) -> bytes:
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    (preview if has_alpha else preview.convert("RGB")).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
