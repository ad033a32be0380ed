"""The `ImageProcessor` port on Pillow: the synchronous pipeline, run on an executor."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from concurrent.futures import Executor

from adapters.pillow.guards import SourceLimits, guard_pillow
from adapters.pillow.pipeline import render
from adapters.pillow.processes import RenderProcesses
from application.errors import DecodeFailed, DecompressionBomb, ProcessingError
from application.ports.image_processor import ImageProcessor, Rendition
from domain.transform import TransformSpec

log = logging.getLogger(__name__)


class PillowImageProcessor(ImageProcessor):
    """Renders transform specs with Pillow (resvg for SVG) on `executor`, off the event loop.

    Originals above the limits are refused from their headers with `DecompressionBomb`;
    every other failure on bad bytes is a `NotAnImage` or `DecodeFailed`, and so is any
    unexpected exception (logged with its traceback): a worker never fails a request.
    SVG originals are rasterised in a child process killed after `max_render_seconds`
    (`ProcessingTimeout`); raster work is bounded by the pixel and frame limits instead.
    Constructing one sets Pillow's process-wide bomb limit to `max_source_pixels`. With a
    `RenderProcesses` executor the renders run in other processes (ADR 21); a process that
    dies costs its render a `DecodeFailed` and the pool is restarted.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        max_source_pixels: int = 50_000_000,
        max_frames: int = 500,
        max_animation_pixels: int = 100_000_000,
        max_render_seconds: float = 20.0,
    ) -> None:
        self._executor = executor
        self._limits = SourceLimits(
            max_source_pixels, max_frames, max_animation_pixels, max_render_seconds
        )
        guard_pillow(self._limits)

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition:
        loop = asyncio.get_running_loop()
        if isinstance(self._executor, RenderProcesses):
            return await self._render_in_process(loop, original, spec)
        # the request's context (correlation ID, phase timings) follows the work into the pool
        context = contextvars.copy_context()
        return await loop.run_in_executor(
            self._executor, context.run, render_safely, original, spec, self._limits
        )

    async def _render_in_process(
        self, loop: asyncio.AbstractEventLoop, original: bytes, spec: TransformSpec
    ) -> Rendition:
        """A context cannot cross a process: the render's own log lines lose the request's ID."""
        processes = self._executor
        assert isinstance(processes, RenderProcesses)
        try:
            return await asyncio.wrap_future(
                processes.submit_with_original(render_safely, original, spec, self._limits),
                loop=loop,
            )
        except ProcessingError:
            raise
        except Exception as exc:
            if not processes.restart_if_broken(exc):
                log.exception("unexpected failure rendering %s", spec.canonical)
            raise DecodeFailed(f"the render process failed: {exc!r}") from exc

    async def close(self) -> None:
        """Nothing to release: the executor belongs to whoever passed it in."""


def render_safely(original: bytes, spec: TransformSpec, limits: SourceLimits) -> Rendition:
    """`render`, with every failure a `ProcessingError` (the caller answers the fallback)."""
    try:
        return render(original, spec, limits)
    except ProcessingError:
        raise
    except MemoryError as exc:
        raise DecompressionBomb("the image needs more memory than the node has") from exc
    except Exception as exc:
        log.exception("unexpected failure rendering %s", spec.canonical)
        raise DecodeFailed(f"the image could not be rendered: {exc!r}") from exc
