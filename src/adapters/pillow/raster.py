"""Raster originals: opened within the limits, decoded upright, shrunk while decoding if allowed."""

from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import ExifTags, Image

from adapters.pillow.colour import normalised
from adapters.pillow.geometry import Size
from adapters.pillow.guards import SourceLimits, decoding
from adapters.pillow.picture import DEFAULT_FRAME_MS, Frame
from adapters.pillow.sniff import SourceFormat
from adapters.pillow.structure import (
    gif_frame_count,
    jpeg_scan_count,
    png_damaged_chunk,
    polyglot_marker,
)
from application.errors import DecodeFailed, DecompressionBomb, NotAnImage

# The decoder may shrink (JPEG DCT scaling) down to this much more than the target: at 1.25
# a large photo decodes at 1/8 for a thumbnail, while a DCT shrink that would leave less than
# that to the final Lanczos pass (1920 -> 960 for 800) is skipped, as it costs sharpness
# (bench/quality_bench.py: SSIM against a whole-image Lanczos within 0.005 of a gap of 2).
DRAFT_GAP = 1.25

_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = {5, 6, 7, 8}
# formats whose frames are an animation; a multi-page TIFF is a document, shown by its first page
_ANIMATED_KINDS = {SourceFormat.GIF, SourceFormat.WEBP, SourceFormat.PNG, SourceFormat.AVIF}
# encoders write up to a dozen scans; each costs a pass over the whole image when decoding
MAX_JPEG_SCANS = 100


class RasterPicture:
    """A raster original whose header passed the limits; see `Picture`."""

    def __init__(self, data: bytes, kind: SourceFormat, limits: SourceLimits) -> None:
        self._data = data
        self._kind = kind
        self._limits = limits
        check_structure(data, kind)
        with decoding():
            header = self._open()
            stored = Size(header.width, header.height)
            self._frame_count = _frame_count(header, data, kind, limits)
            limits.check(stored, self._frame_count)
            if kind is SourceFormat.PNG:
                # Pillow decodes a PNG to look for an eXIf chunk after the pixels; do it here
                # so a truncated file fails now, not inside the orientation lookup
                header.load()
            self._orientation = _orientation(header)
            self._loop: int | None = header.info.get("loop")
        swapped = self._orientation in _SWAPS_AXES
        self._size = Size(stored.height, stored.width) if swapped else stored
        self._unused: Image.Image | None = header

    @property
    def size(self) -> Size:
        return self._size

    @property
    def frame_count(self) -> int:
        return self._frame_count

    @property
    def loop(self) -> int | None:
        return self._loop

    def still(self, target: Size | None) -> Image.Image:
        with decoding():
            image = self._fresh()
            if target is not None:
                image.draft(image.mode, self._stored(target.scaled(DRAFT_GAP, DRAFT_GAP)))
            image.load()
            return self._upright(image)

    def has_more_detail_than(self, size: Size) -> bool:
        return not self._size.fits_within(size)

    def frames(self) -> Iterator[Frame]:
        with decoding():
            image = self._fresh()
        for index in range(self._frame_count):
            with decoding():
                image.seek(index)
                # a GIF frame may reach past the canvas, and Pillow then grows the image
                self._limits.check(Size(image.width, image.height), self._frame_count)
                image.load()
                duration = int(image.info.get("duration") or DEFAULT_FRAME_MS)
                upright = self._upright(image)
                # the next seek rewrites the decoder's image: a frame we hand out must be our own
                frame = upright.copy() if upright is image else upright
            yield Frame(frame, duration)

    def _open(self) -> Image.Image:
        # only the sniffed format's plugin may parse the bytes: less attack surface
        return Image.open(io.BytesIO(self._data), formats=[self._kind.value])

    def _fresh(self) -> Image.Image:
        """An image not decoded yet: a draft must come before decoding and works only once."""
        image, self._unused = self._unused, None
        return image if image is not None else self._open()

    def _stored(self, size: Size) -> tuple[int, int]:
        """An upright size in the orientation the pixels are stored in."""
        if self._orientation in _SWAPS_AXES:
            return (size.height, size.width)
        return (size.width, size.height)

    def _upright(self, image: Image.Image) -> Image.Image:
        method = _UPRIGHT.get(self._orientation)
        ready = normalised(image)
        return ready.transpose(method) if method is not None else ready


def check_structure(data: bytes, kind: SourceFormat) -> None:
    """Refuse, before any decoder sees them, polyglots, JPEGs with too many scans and PNGs
    with damaged chunks."""
    marker = polyglot_marker(data, kind)
    if marker is not None:
        raise NotAnImage(f"the {kind.value} is a polyglot: {marker}")
    if kind is SourceFormat.JPEG and jpeg_scan_count(data) > MAX_JPEG_SCANS:
        raise DecompressionBomb(f"the JPEG has more than {MAX_JPEG_SCANS} scans")
    if kind is SourceFormat.PNG:
        damaged = png_damaged_chunk(data)
        if damaged is not None:
            raise DecodeFailed(f"the PNG's {damaged} chunk fails its checksum")


def _frame_count(header: Image.Image, data: bytes, kind: SourceFormat, limits: SourceLimits) -> int:
    """How many frames the animation holds (a still, a TIFF page or a JPEG is one)."""
    if kind not in _ANIMATED_KINDS:
        return 1
    if kind is SourceFormat.GIF:
        counted = gif_frame_count(data, limits.max_frames)
        if counted > limits.max_frames:
            return counted  # enough to refuse it; Pillow's own count would walk them all
    return int(getattr(header, "n_frames", 1))


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a broken EXIF block costs the orientation, not the image
        return 1
    return value if isinstance(value, int) else 1
