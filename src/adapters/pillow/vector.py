"""SVG originals as pictures: rasterised by resvg at the size the result needs (sharp vectors).

resvg runs in a child process (`resvg_child.py`) with a CPU and a memory limit and a
deadline: a document can be cheap to parse and still take hours to paint (filters,
thousands of full-canvas layers), and a thread, unlike a process, cannot be stopped.
"""

from __future__ import annotations

import io
import math
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from adapters.pillow.colour import normalised
from adapters.pillow.geometry import Size
from adapters.pillow.guards import SourceLimits, decoding
from adapters.pillow.picture import Frame
from adapters.pillow.svg import SvgDocument
from application.errors import DecodeFailed, ProcessingTimeout

RASTERISER = Path(__file__).resolve().with_name("resvg_child.py")
# address space of the child: the interpreter, resvg and a 50 MP canvas with a few layers
RASTERISER_MEMORY = 3 * 1024**3
_KILLED_FOR_TIME = {-signal.SIGXCPU, -signal.SIGKILL}


class VectorPicture:
    """A sanitised SVG; see `Picture`. Every `still` is a fresh rendering at the asked size."""

    def __init__(self, document: SvgDocument, limits: SourceLimits) -> None:
        self._document = document
        self._limits = limits

    @property
    def size(self) -> Size:
        return self._document.size

    @property
    def frame_count(self) -> int:
        return 1

    @property
    def loop(self) -> int | None:
        return None

    def still(self, target: Size | None) -> Image.Image:
        size = self._render_size(target or self.size)
        rendered = rasterise(self._document, size, self._limits.max_render_seconds)
        with decoding():
            image = Image.open(io.BytesIO(rendered), formats=["PNG"])
            image.load()
            return normalised(image)

    def has_more_detail_than(self, size: Size) -> bool:
        # a vector has detail at any size; the canvas limit is the only ceiling
        largest = self._largest()
        return largest.width > size.width or largest.height > size.height

    @property
    def _max_canvas_pixels(self) -> int:
        """The pixel limit, lowered for documents heavy to paint (see `PAINT_BUDGET`)."""
        return min(self._limits.max_source_pixels, self._document.max_canvas_pixels)

    def frames(self) -> Iterator[Frame]:
        yield Frame(self.still(None))

    def _render_size(self, target: Size) -> Size:
        """The intrinsic aspect, covering `target` on both axes, within the canvas limit."""
        natural = self.size
        scale = max(target.width / natural.width, target.height / natural.height)
        if scale * scale * natural.pixels <= self._max_canvas_pixels:
            return natural.scaled(scale, scale)
        return self._largest()

    def _largest(self) -> Size:
        """The largest canvas of the intrinsic aspect within the limit."""
        natural = self.size
        ceiling = (self._max_canvas_pixels / natural.pixels) ** 0.5
        # rounded down: a pixel row over the limit would trip Pillow's bomb check on reading
        return Size(max(1, int(natural.width * ceiling)), max(1, int(natural.height * ceiling)))


def rasterise(document: SvgDocument, size: Size, seconds: float) -> bytes:
    """PNG bytes of `document` fitted into `size` (resvg keeps the aspect ratio), rendered in
    a child process that is killed after `seconds` (`ProcessingTimeout`)."""
    command = [
        sys.executable,
        "-I",
        str(RASTERISER),
        str(size.width),
        str(size.height),
        str(max(1, math.ceil(seconds))),
        str(RASTERISER_MEMORY),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own script, arguments are numbers
            command, input=document.data, capture_output=True, timeout=seconds, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ProcessingTimeout(f"the SVG took longer than {seconds} s to render") from exc
    except OSError as exc:
        raise DecodeFailed(f"the SVG rasteriser could not be started: {exc}") from exc
    if done.returncode in _KILLED_FOR_TIME:
        raise ProcessingTimeout(f"the SVG took longer than {seconds} s of CPU to render")
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["killed"]
        raise DecodeFailed(f"the SVG could not be rendered: {problem[0][:200]}")
    return done.stdout
