"""A stand-in image processor for use-case tests: deterministic bytes, no pixels.

Test-only features:

- the "encoded" bytes are `spec.canonical` and the original, so two renditions are equal
  exactly when their spec and original are;
- an original starting with a prefix in `failures` raises that error instead;
- `calls` lists `(original, spec)` of every render, failed ones included.
"""

from __future__ import annotations

from application.errors import ProcessingError
from application.ports.image_processor import ImageProcessor, Rendition
from domain.transform import TransformSpec


class ScriptedImageProcessor(ImageProcessor):
    """Renders `spec.canonical + original` in the requested format, or raises as scripted."""

    def __init__(self, failures: dict[bytes, ProcessingError] | None = None) -> None:
        self.failures = dict(failures or {})
        self.calls: list[tuple[bytes, TransformSpec]] = []

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition:
        self.calls.append((original, spec))
        for prefix, error in self.failures.items():
            if original.startswith(prefix):
                raise error
        return Rendition(spec.canonical.encode() + b"|" + original, spec.format)

    async def close(self) -> None:
        return None
