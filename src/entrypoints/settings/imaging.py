"""Decoding and rendering: the limits on originals, the Pillow threads, the render queue."""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings


class ImagingSettings(BaseSettings):
    """MAX_SOURCE_PIXELS, MAX_ANIMATION_*, IMAGE_* (ADR 10)."""

    MAX_SOURCE_PIXELS: int = Field(default=50_000_000, ge=1)
    MAX_ANIMATION_FRAMES: int = Field(default=500, ge=1)
    MAX_ANIMATION_PIXELS: int = Field(default=100_000_000, ge=1)
    IMAGE_WORKER_THREADS: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    IMAGE_PROCESSING_TIMEOUT: int = Field(default=20_000, ge=10, description="milliseconds")
    IMAGE_QUEUE_MAX: int = Field(default=32, ge=0, le=10_000)
    # Renders in this many processes (ADR 21); 0 runs them in IMAGE_WORKER_THREADS threads of
    # the serving process. `media-stream serve --workers N` sets it (default: the CPUs).
    IMAGE_RENDER_PROCESSES: int = Field(default=0, ge=0, le=256)
