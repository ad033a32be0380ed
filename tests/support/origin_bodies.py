"""Small bodies with real magic numbers, and fetcher settings that keep origin tests fast.

The HTTP origin only sniffs the first bytes of a body (the Pillow adapter decodes); these
bodies start like the format they name and are padded to any size with `sized`.
"""

from __future__ import annotations

from adapters.httpx import OriginTimeouts
from domain.originals import SourceByteCaps
from domain.retry import RetryPolicy

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
GIF = b"GIF89a" + bytes(range(256)) * 8
WEBP = b"RIFF\x00\x10\x00\x00WEBPVP8 " + bytes(range(256)) * 8
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'

KIB = 1024
CAPS = SourceByteCaps(
    jpeg=64 * KIB, png=64 * KIB, webp=48 * KIB, gif=32 * KIB, svg=16 * KIB, other=96 * KIB
)
FAST = OriginTimeouts(connect=1.0, read=0.3, pool=1.0, total=3.0)
NO_RETRY = RetryPolicy(max_retries=0)


def sized(head: bytes, size: int) -> bytes:
    """`head` cut or padded with zero bytes to exactly `size` bytes."""
    return head[:size] + b"\0" * max(0, size - len(head))
