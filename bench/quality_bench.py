"""Whether shrinking while decoding costs quality: SSIM of the service's output against a
full-resolution Lanczos reference.

For each case the original is decoded whole, resized with Lanczos (no reducing gap) to the
service's output size, and compared (luminance SSIM over 8x8 windows) with what
`adapters.pillow.pipeline.render` returns, before encoding (PNG output, lossless), with the
decoder shrinking to the target (`DRAFT_GAP` 1.0), to the gap in force (`raster.DRAFT_GAP`)
and to twice the target (2.0, the old setting). The bar (issue 14) is a loss of at most 0.005
against the old setting. Run: `make bench`.
"""

from __future__ import annotations

import io
import statistics

from PIL import Image

from adapters.pillow import raster
from adapters.pillow.guards import SourceLimits
from adapters.pillow.pipeline import render
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec
from transform_bench import photo_like_jpeg

WINDOW = 8
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def ssim(first: Image.Image, second: Image.Image) -> float:
    """Mean SSIM of the luminance over non-overlapping 8x8 windows."""
    a, b = first.convert("L"), second.convert("L")
    width, height = a.size
    pa, pb = a.load(), b.load()
    scores = []
    for top in range(0, height - WINDOW + 1, WINDOW):
        for left in range(0, width - WINDOW + 1, WINDOW):
            xs = [pa[x, y] for y in range(top, top + WINDOW) for x in range(left, left + WINDOW)]
            ys = [pb[x, y] for y in range(top, top + WINDOW) for x in range(left, left + WINDOW)]
            scores.append(_window_ssim(xs, ys))
    return statistics.fmean(scores)


def _window_ssim(xs: list[int], ys: list[int]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    vx = statistics.fmean((x - mx) ** 2 for x in xs)
    vy = statistics.fmean((y - my) ** 2 for y in ys)
    cov = statistics.fmean((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return ((2 * mx * my + _C1) * (2 * cov + _C2)) / ((mx**2 + my**2 + _C1) * (vx + vy + _C2))


def reference(original: bytes, spec: TransformSpec, size: tuple[int, int]) -> Image.Image:
    """The whole original resized by Lanczos in one pass, cropped as cover crops."""
    image = Image.open(io.BytesIO(original)).convert("RGB")
    if spec.fit is Fit.COVER and spec.box.width and spec.box.height:
        scale = max(size[0] / image.width, size[1] / image.height)
        window = (size[0] / scale, size[1] / scale)
        left, top = (image.width - window[0]) / 2, (image.height - window[1]) / 2
        box = (left, top, left + window[0], top + window[1])
        return image.resize(size, Image.Resampling.LANCZOS, box=box)
    return image.resize(size, Image.Resampling.LANCZOS)


def rendered(original: bytes, spec: TransformSpec, gap: float) -> Image.Image:
    in_force = raster.DRAFT_GAP
    raster.DRAFT_GAP = gap
    try:
        data = render(original, spec, SourceLimits()).data
    finally:
        raster.DRAFT_GAP = in_force
    return Image.open(io.BytesIO(data))


def spec(
    width: int,
    height: int,
    fit: Fit,
    output: OutputFormat = OutputFormat.PNG,
    *,
    quality: int = 100,
    background: str = "FFFFFF",
) -> TransformSpec:
    """A centred transformation without trimming (lossless PNG unless told)."""
    return TransformSpec(
        box=Box(width, height),
        fit=fit,
        position=Position.CENTER,
        background=Background.parse(background),
        trim=0,
        quality=quality,
        format=output,
    )


def jpeg_at(original: bytes, size: tuple[int, int]) -> bytes:
    """`original` resized to `size`, as a quality-90 JPEG."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(original)).resize(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    big = photo_like_jpeg()
    mid = jpeg_at(big, (1920, 1080))
    cases = {
        "4000x3000 -> 300x200 cover": (big, spec(300, 200, Fit.COVER)),
        "4000x3000 -> 300x200 inside": (big, spec(300, 200, Fit.INSIDE)),
        "4000x3000 -> 1000 wide": (big, spec(1000, 0, Fit.INSIDE)),
        "1920x1080 -> 800 wide": (mid, spec(800, 0, Fit.INSIDE)),
        "1920x1080 -> 500x500 cover": (mid, spec(500, 500, Fit.COVER)),
    }
    now = raster.DRAFT_GAP
    print(f"{'case':32} {'gap 1.0':>8} {'gap ' + str(now):>9} {'gap 2.0':>8} {'loss':>7}")
    for name, (original, wanted) in cases.items():
        scores = []
        for gap in (1.0, now, 2.0):
            image = rendered(original, wanted, gap)
            scores.append(ssim(image, reference(original, wanted, image.size)))
        loss = scores[2] - scores[1]
        verdict = "ok" if loss <= 0.005 else "OVER 0.005"
        print(f"{name:32} {scores[0]:8.4f} {scores[1]:9.4f} {scores[2]:8.4f} {loss:7.4f} {verdict}")


if __name__ == "__main__":
    main()
