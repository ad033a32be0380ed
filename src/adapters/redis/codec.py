"""A result as one Redis value: a fixed binary header, two short ASCII fields, the raw bytes.

    magic b"MSRR" | version (1 byte) | produced_at (int64) | size (uint32)
    | format length (1 byte) | etag length (1 byte) | format | etag | image bytes

All integers are big-endian. No base64 and no JSON: the image bytes follow the header as they
are, so a value costs 19 bytes plus the format and ETag over the image itself (ADR 8).
"""

from __future__ import annotations

import struct

from domain.formats import OutputFormat
from domain.result import ImageResult

MAGIC = b"MSRR"
VERSION = 1
_HEADER = struct.Struct(">4sBqIBB")


class CorruptValue(Exception):
    """A Redis value that is not a whole result of the current version."""


def encode_result(result: ImageResult) -> bytes:
    """The Redis value for `result`."""
    fmt = result.format.value.encode("ascii")
    etag = result.etag.encode("ascii")
    header = _HEADER.pack(MAGIC, VERSION, result.produced_at, result.size, len(fmt), len(etag))
    return b"".join((header, fmt, etag, result.data))


def decode_result(value: bytes) -> ImageResult:
    """The result held in `value`, or `CorruptValue`."""
    if len(value) < _HEADER.size:
        raise CorruptValue("shorter than the header")
    magic, version, produced_at, size, fmt_length, etag_length = _HEADER.unpack_from(value)
    if magic != MAGIC or version != VERSION:
        raise CorruptValue(f"unknown magic {magic!r} or version {version}")
    fmt_end = _HEADER.size + fmt_length
    body_start = fmt_end + etag_length
    if len(value) != body_start + size:
        raise CorruptValue(f"holds {len(value) - body_start} image bytes of {size}")
    try:
        output = OutputFormat(value[_HEADER.size : fmt_end].decode("ascii"))
        etag = value[fmt_end:body_start].decode("ascii")
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise CorruptValue(f"unreadable format or etag: {exc}") from exc
    return ImageResult(value[body_start:], output, etag, produced_at)
