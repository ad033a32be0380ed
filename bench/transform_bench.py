"""How much the service's Pillow pipeline costs over plain Pillow for a typical thumbnail.

A 4000x3000 photo-like JPEG (made here: gradients plus grain, quality 90) becomes a 300x200
cover-cropped JPEG at quality 80, through:

- baseline: Image.open + draft + thumbnail + save, the least Pillow can do for a thumbnail;
- pipeline: `adapters.pillow.pipeline.render`, the synchronous function the adapter runs;
- processor: `PillowImageProcessor.render` awaited one at a time (adds the executor hop);
- processor xN: N renders in flight at once on a pool sized to the CPUs (throughput).

Prints the median time per operation and the ratio to the baseline. Run: `make bench`.
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageChops

from adapters.pillow import PillowImageProcessor, SourceLimits
from adapters.pillow.pipeline import render
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec

ROUNDS = 15
WIDTH, HEIGHT = 4000, 3000
SPEC = TransformSpec(
    box=Box(300, 200),
    fit=Fit.COVER,
    position=Position.CENTER,
    background=Background.parse("FFFFFF"),
    trim=0,
    quality=80,
    format=OutputFormat.JPEG,
)


def photo_like_jpeg() -> bytes:
    """Smooth colour gradients under fine grain: compresses and decodes like a photo."""
    horizontal = Image.linear_gradient("L").rotate(90).resize((WIDTH, HEIGHT))
    vertical = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    grain = Image.effect_noise((WIDTH, HEIGHT), 24)
    red = ImageChops.add(horizontal, grain, scale=1.0, offset=-100)
    green = ImageChops.add(vertical, grain, scale=1.0, offset=-100)
    blue = ImageChops.blend(horizontal, ImageChops.invert(vertical), 0.5)
    buffer = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def baseline(original: bytes) -> bytes:
    image = Image.open(io.BytesIO(original))
    image.draft("RGB", (300, 200))
    image.thumbnail((300, 200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def median_seconds(operation: Callable[[], object], rounds: int = ROUNDS) -> float:
    operation()  # warm-up: codec initialisation and caches
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        operation()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def processor_timings(
    original: bytes, pool: ThreadPoolExecutor, workers: int
) -> tuple[float, float]:
    """Seconds per render awaited one at a time, and per render with `workers` in flight."""
    processor = PillowImageProcessor(pool)

    async def one() -> None:
        await processor.render(original, SPEC)

    async def many() -> None:
        await asyncio.gather(*(processor.render(original, SPEC) for _ in range(workers)))

    sequential = median_seconds(lambda: asyncio.run(one()))
    concurrent = median_seconds(lambda: asyncio.run(many()), rounds=max(3, ROUNDS // 3))
    return sequential, concurrent / workers


def main() -> None:
    original = photo_like_jpeg()
    workers = os.cpu_count() or 1
    print(f"source: {WIDTH}x{HEIGHT} JPEG, {len(original) / 1e6:.1f} MB; target: {SPEC.canonical}")
    base = median_seconds(lambda: baseline(original))
    limits = SourceLimits()
    pipeline = median_seconds(lambda: render(original, SPEC, limits))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench") as pool:
        sequential, concurrent = processor_timings(original, pool, workers)
    rows = [
        ("baseline (open+draft+thumbnail+save)", base),
        ("pipeline.render (sync)", pipeline),
        ("PillowImageProcessor, one at a time", sequential),
        (f"PillowImageProcessor, {workers} in flight (per op)", concurrent),
    ]
    for name, seconds in rows:
        print(f"{name:<48} {seconds * 1000:8.1f} ms/op   x{seconds / base:5.2f} of baseline")


if __name__ == "__main__":
    main()
