"""Test images made in code: photo-like JPEGs, transparent PNGs, broken and hostile files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def jpeg(width: int = 1200, height: int = 800, quality: int = 90) -> bytes:
    """An opaque JPEG with a red left half and a blue right half, and some detail."""
    image = Image.new("RGB", (width, height), (30, 60, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width // 2, height], fill=(220, 30, 30))
    for x in range(0, width, 40):
        draw.line([x, 0, x, height], fill=(240, 240, 240), width=2)
    return encode(image, "JPEG", quality=quality)


def png_with_alpha(width: int = 400, height: int = 400) -> bytes:
    """A PNG with a transparent margin around an opaque green square."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle(
        [width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(20, 200, 20, 255)
    )
    return encode(image, "PNG")


def encode(image: Image.Image, format_name: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_name, **options)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    """The first third of a valid JPEG."""
    whole = jpeg()
    return whole[: len(whole) // 3]


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (10 gigapixels by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
