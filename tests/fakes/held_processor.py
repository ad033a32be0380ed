"""An image processor whose renders wait until the test lets them finish.

Test-only features:

- every render waits on its own `asyncio.Event`, in `pending` (in call order), until the test
  calls `finish()` (the oldest pending render) or `finish_all()`;
- `started` counts renders that began, `finished` those that returned;
- an original equal to `FAIL` raises `DecodeFailed` once released.
"""

from __future__ import annotations

import asyncio

from application.errors import DecodeFailed
from application.ports.image_processor import ImageProcessor, Rendition
from domain.formats import OutputFormat
from domain.transform import TransformSpec

FAIL = b"fail"


class HeldImageProcessor(ImageProcessor):
    """Each render returns `original` as PNG bytes once released."""

    def __init__(self) -> None:
        self.pending: list[asyncio.Event] = []
        self.started = 0
        self.finished = 0

    async def render(self, original: bytes, spec: TransformSpec) -> Rendition:
        release = asyncio.Event()
        self.pending.append(release)
        self.started += 1
        try:
            await release.wait()
        finally:
            self.finished += 1
        if original == FAIL:
            raise DecodeFailed("scripted failure")
        return Rendition(original, OutputFormat.PNG)

    def finish(self) -> None:
        """Let the oldest pending render return."""
        self.pending.pop(0).set()

    def finish_all(self) -> None:
        while self.pending:
            self.finish()

    async def close(self) -> None:
        self.finish_all()
