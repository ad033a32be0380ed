"""Port: turn an original's bytes into the encoded result of a transform spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.formats import OutputFormat
from domain.transform import TransformSpec


@dataclass(frozen=True, slots=True)
class Rendition:
    """Encoded bytes and the format they really are in."""

    data: bytes
    format: OutputFormat


class ImageProcessor(Protocol):
    """Renders `spec` from `original` off the event loop, or raises a `ProcessingError`."""

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition: ...

    async def close(self) -> None: ...
