"""Encoding the rendered frames, with nothing of the original's metadata.

The format is the requested one, or `alpha_format` when the result really has transparency;
a format without alpha (JPEG) gets the frames flattened onto the background (white when it is
transparent); an SVG asked of a raster is answered as PNG. Encoder settings favour latency:
AVIF at speed 8 and WebP at method 4 cost little over their slowest settings in size; JPEG
is optimised always, and progressive only from `JPEG_PROGRESSIVE_FROM_PIXELS` up.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from adapters.pillow.picture import Frame
from application.errors import OutputTooLarge
from application.ports.image_processor import Rendition
from domain.formats import OutputFormat
from domain.transform import Background, TransformSpec

AVIF_SPEED = 8
WEBP_METHOD = 4
PNG_PALETTE_BELOW_QUALITY = 95
# JPEG results of at least this many pixels are progressive (they draw coarse-to-fine on a
# slow link); smaller ones sequential, which encodes twice as fast with the same pixels and
# is no larger at thumbnail sizes (docs/performance.md)
JPEG_PROGRESSIVE_FROM_PIXELS = 640 * 640

# the largest axis each encoder accepts
_MAX_AXIS = {
    OutputFormat.WEBP: 16383,
    OutputFormat.AVIF: 65536,
    OutputFormat.JPEG: 65500,
    OutputFormat.GIF: 65535,
}


@dataclass(frozen=True, slots=True)
class _Encoding:
    images: list[Image.Image]
    durations: list[int]
    loop: int | None
    quality: int

    @property
    def animated(self) -> bool:
        return len(self.images) > 1

    def animation(self, plays_once_loop: int) -> dict[str, Any]:
        """save_all arguments; `plays_once_loop` is this format's way to say "play once"."""
        loop = self.loop if self.loop is not None else plays_once_loop
        return {
            "save_all": True,
            "append_images": self.images[1:],
            "duration": self.durations,
            "loop": loop,
        }


def encode(frames: Sequence[Frame], loop: int | None, spec: TransformSpec) -> Rendition:
    """Encode `frames` (one for a still) as `spec` asks; the Rendition names the real format."""
    transparent = any(has_alpha(frame.image) for frame in frames)
    output = output_format(spec, transparent)
    images = [_prepared(frame.image, output, transparent, spec.background) for frame in frames]
    _check_axes(images[0], output)
    encoding = _Encoding(images, [frame.duration for frame in frames], loop, spec.quality)
    buffer = io.BytesIO()
    _SAVERS[output](buffer, encoding)
    return Rendition(buffer.getvalue(), output)


def output_format(spec: TransformSpec, transparent: bool) -> OutputFormat:
    """The format actually written: alpha_format for transparent results, PNG for raster-as-SVG."""
    chosen = spec.alpha_format if transparent and spec.alpha_format else spec.format
    return OutputFormat.PNG if chosen is OutputFormat.SVG else chosen


def has_alpha(image: Image.Image) -> bool:
    """Whether any pixel is less than opaque (an alpha band alone is not transparency)."""
    if image.mode != "RGBA":
        return False
    lowest = image.getchannel("A").getextrema()[0]  # one band: a number
    return isinstance(lowest, int | float) and lowest < 255


def _prepared(
    image: Image.Image, output: OutputFormat, transparent: bool, background: Background
) -> Image.Image:
    if not transparent:
        prepared = image.convert("RGB") if image.mode != "RGB" else image
    elif not output.has_alpha:
        prepared = Image.new("RGB", image.size, background.flatten_colour)
        prepared.paste(image, (0, 0), image.getchannel("A"))
    else:
        prepared = image.convert("RGBA") if image.mode != "RGBA" else image
    # encoders copy comments, ICC profiles and the like from `info`: strip all of it
    prepared.info = {}
    return prepared


def _check_axes(image: Image.Image, output: OutputFormat) -> None:
    limit = _MAX_AXIS.get(output)
    if limit is not None and max(image.size) > limit:
        raise OutputTooLarge(
            f"{output.value} cannot hold {image.width}x{image.height} (axis limit {limit})"
        )


def _save_jpeg(buffer: io.BytesIO, encoding: _Encoding) -> None:
    image = encoding.images[0]
    progressive = image.width * image.height >= JPEG_PROGRESSIVE_FROM_PIXELS
    image.save(buffer, "JPEG", quality=encoding.quality, optimize=True, progressive=progressive)


def _save_png(buffer: io.BytesIO, encoding: _Encoding) -> None:
    if encoding.animated:
        encoding.images[0].save(buffer, "PNG", **encoding.animation(plays_once_loop=1))
        return
    image = encoding.images[0]
    if encoding.quality < PNG_PALETTE_BELOW_QUALITY:
        # fast octree is the quantiser that keeps an alpha channel (as a tRNS palette)
        image = image.quantize(256, method=Image.Quantize.FASTOCTREE)
    image.save(buffer, "PNG")


def _save_webp(buffer: io.BytesIO, encoding: _Encoding) -> None:
    options: dict[str, Any] = {"quality": encoding.quality, "method": WEBP_METHOD}
    if encoding.animated:
        options.update(encoding.animation(plays_once_loop=1))
    encoding.images[0].save(buffer, "WEBP", **options)


def _save_avif(buffer: io.BytesIO, encoding: _Encoding) -> None:
    options: dict[str, Any] = {"quality": encoding.quality, "speed": AVIF_SPEED}
    if encoding.animated:
        options.update(encoding.animation(plays_once_loop=0))
        del options["loop"]  # AVIF sequences carry no loop count in Pillow's encoder
    encoding.images[0].save(buffer, "AVIF", **options)


def _save_gif(buffer: io.BytesIO, encoding: _Encoding) -> None:
    if not encoding.animated:
        encoding.images[0].save(buffer, "GIF")
        return
    options = encoding.animation(plays_once_loop=0)
    if encoding.loop is None:
        del options["loop"]  # a GIF without a loop extension plays once
    # every frame is whole, so clearing before the next one is right and avoids ghosting
    encoding.images[0].save(buffer, "GIF", disposal=2, **options)


def _save_tiff(buffer: io.BytesIO, encoding: _Encoding) -> None:
    encoding.images[0].save(buffer, "TIFF", compression="tiff_adobe_deflate")


_SAVERS: dict[OutputFormat, Callable[[io.BytesIO, _Encoding], None]] = {
    OutputFormat.JPEG: _save_jpeg,
    OutputFormat.PNG: _save_png,
    OutputFormat.WEBP: _save_webp,
    OutputFormat.AVIF: _save_avif,
    OutputFormat.GIF: _save_gif,
    OutputFormat.TIFF: _save_tiff,
}
