"""The `ImageProcessor` port on Pillow: the synchronous pipeline, run on an executor."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from adapters.pillow.guards import SourceLimits, guard_pillow
from adapters.pillow.pipeline import render
from application.ports.image_processor import ImageProcessor, Rendition
from domain.transform import TransformSpec


class PillowImageProcessor(ImageProcessor):
    """Renders transform specs with Pillow (resvg for SVG) on `executor`, off the event loop.

    Originals above the limits are refused from their headers with `DecompressionBomb`;
    every other failure on bad bytes is a `NotAnImage` or `DecodeFailed`.
    Constructing one sets Pillow's process-wide bomb limit to `max_source_pixels`.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        max_source_pixels: int = 50_000_000,
        max_frames: int = 500,
        max_animation_pixels: int = 500_000_000,
    ) -> None:
        self._executor = executor
        self._limits = SourceLimits(max_source_pixels, max_frames, max_animation_pixels)
        guard_pillow(self._limits)

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, render, original, spec, self._limits)

    async def close(self) -> None:
        """Nothing to release: the executor belongs to whoever passed it in."""
