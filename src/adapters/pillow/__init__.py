"""Pillow adapter: decodes, transforms and encodes images for the `ImageProcessor` port."""

from adapters.pillow.guards import SourceLimits
from adapters.pillow.processes import RenderProcesses
from adapters.pillow.processor import PillowImageProcessor

__all__ = ["PillowImageProcessor", "RenderProcesses", "SourceLimits"]
