"""What each side-by-side case costs to render at least, and what the shortcut costs in quality.

For each case of the side-by-side run (docs/performance.md), on sources made here:

- service: `adapters.pillow.pipeline.render`, the synchronous render a miss pays;
- shortcut: Image.open + `draft` to the target itself + one Lanczos pass + save with
  Pillow's defaults: the least Pillow can do, and the path a peer that lets libjpeg shrink
  all the way to the target takes (thumbor 7.8's Pillow engine does this);

each as CPU ms per image (this process's CPU time, so another process on the box does not
count), and for the JPEG sources the luminance SSIM of each against the whole original resized
by Lanczos in one pass (`quality_bench.ssim`). Where the two cost the same, a miss cannot get
much cheaper than its render by any change to the service; where the shortcut is cheaper, its
SSIM says what the saving would cost. Run: `make bench`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw

from adapters.pillow.guards import SourceLimits
from adapters.pillow.pipeline import render
from domain.formats import OutputFormat
from domain.transform import Fit, TransformSpec
from quality_bench import jpeg_at, reference, spec, ssim
from transform_bench import photo_like_jpeg

SECONDS = 3.0
ROUNDS = 3


@dataclass(frozen=True)
class Case:
    name: str
    original: bytes
    spec: TransformSpec


def thumbnail(width: int, height: int, fit: Fit, output: OutputFormat) -> TransformSpec:
    """The side-by-side's transformations: quality 80 on a transparent background."""
    return spec(width, height, fit, output, quality=80, background="transparent")


def alpha_png() -> bytes:
    """A 1200x800 photo-like image behind a radial alpha vignette, saved as PNG."""
    photo = Image.open(io.BytesIO(jpeg_at(photo_like_jpeg(), (1200, 800)))).convert("RGBA")
    alpha = Image.radial_gradient("L").resize((1200, 800)).point(lambda v: max(0, 255 - v))
    photo.putalpha(alpha)
    ImageDraw.Draw(photo).rectangle((0, 0, 40, 40), fill=(0, 0, 0, 0))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG")
    return buffer.getvalue()


def shortcut(case: Case, size: tuple[int, int]) -> Image.Image:
    """Draft to the target, then one Lanczos pass (cover: of the centred window)."""
    image = Image.open(io.BytesIO(case.original))
    image.draft(None, size)
    if case.spec.fit is not Fit.COVER:
        return image.resize(size, Image.Resampling.LANCZOS)
    scale = max(size[0] / image.width, size[1] / image.height)
    window = (size[0] / scale, size[1] / scale)
    left, top = (image.width - window[0]) / 2, (image.height - window[1]) / 2
    box = (left, top, left + window[0], top + window[1])
    return image.resize(size, Image.Resampling.LANCZOS, box=box)


def saved(image: Image.Image, output: OutputFormat) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP" if output is OutputFormat.WEBP else "JPEG", quality=80)
    return buffer.getvalue()


def cpu_ms(operation: Callable[[], object], seconds: float = SECONDS) -> float:
    operation()  # warm-up
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        operation()
        done += 1
    return (time.process_time() - started) / done * 1000


def alternating(first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """The best CPU ms per operation of each, over rounds that alternate between the two."""
    rounds = [
        (cpu_ms(first, SECONDS / ROUNDS), cpu_ms(second, SECONDS / ROUNDS)) for _ in range(ROUNDS)
    ]
    return min(a for a, _ in rounds), min(b for _, b in rounds)


def main() -> None:
    big, png = photo_like_jpeg(), alpha_png()
    mid = jpeg_at(big, (1920, 1080))
    jpeg, webp = OutputFormat.JPEG, OutputFormat.WEBP
    cases = [
        Case("4000x3000 -> 300x200 cover, JPEG", big, thumbnail(300, 200, Fit.COVER, jpeg)),
        Case("4000x3000 -> 300x200 inside, JPEG", big, thumbnail(300, 200, Fit.INSIDE, jpeg)),
        Case("1920x1080 -> 800 wide, JPEG", mid, thumbnail(800, 0, Fit.INSIDE, jpeg)),
        Case(
            "1200x800 alpha PNG -> 300x200 inside, WebP", png, thumbnail(300, 200, Fit.INSIDE, webp)
        ),
    ]
    limits = SourceLimits()
    heads = f"{'service':>8} {'shortcut':>9} {'ratio':>6} {'SSIM service':>13} {'shortcut':>9}"
    print(f"{'case':44} {heads}")
    for case in cases:
        result = Image.open(io.BytesIO(render(case.original, case.spec, limits).data))
        size = result.size
        ours, theirs = alternating(
            lambda case=case: render(case.original, case.spec, limits),
            lambda case=case, size=size: saved(shortcut(case, size), case.spec.format),
        )
        quality = ""
        if case.spec.format is OutputFormat.JPEG:
            truth = reference(case.original, case.spec, size)
            lossless = replace(case.spec, format=OutputFormat.PNG, quality=100)
            exact = Image.open(io.BytesIO(render(case.original, lossless, limits).data))
            quality = f"{ssim(exact, truth):13.4f} {ssim(shortcut(case, size), truth):9.4f}"
        print(f"{case.name:44} {ours:8.1f} {theirs:9.1f} {ours / theirs:6.2f} {quality}")
    print("CPU ms per image; ratio = service / shortcut; SSIM against a whole-image Lanczos resize")


if __name__ == "__main__":
    main()
