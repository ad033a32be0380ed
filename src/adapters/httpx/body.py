"""Reading an original's body: its format sniffed from the first bytes, its size capped."""

from __future__ import annotations

import httpx

from application.errors import OriginNotAnImage, OriginTooLarge
from application.ports.origin_fetcher import Original
from domain.image_formats import sniff_image
from domain.originals import SNIFF_BYTES, OriginalFormat, SourceByteCaps, capped_as


async def read_original(response: httpx.Response, caps: SourceByteCaps, label: str) -> Original:
    """The whole body of `response`, or `OriginTooLarge` / `OriginNotAnImage`.

    A `Content-Length` over the largest cap is refused before reading. Once the first
    `SNIFF_BYTES` (or the whole, shorter body) have arrived, the format is sniffed: no image,
    or one in a format the renderer cannot decode (HEIF), is `OriginNotAnImage`, and from
    then on the format's own cap applies, to the `Content-Length` and to the bytes that keep
    arriving. Reading stops as soon as a cap is
    passed, so an origin that lies about the length, or sends none, costs at most one cap.
    """
    declared = _declared_length(response.headers)
    if declared is not None and declared > caps.largest:
        raise OriginTooLarge(f"{label} declares {declared} bytes")
    # chunks are joined once at the end: growing one buffer copies a large body several times
    chunks: list[bytes] = []
    size = 0
    cap = caps.largest
    sniffed: OriginalFormat | None = None
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if sniffed is None and size >= SNIFF_BYTES:
            sniffed, cap = _sniffed(_head(chunks), caps, declared, label)
        if size > cap:
            raise OriginTooLarge(f"{label} has more than {cap} bytes")
    body = b"".join(chunks)
    if sniffed is None:  # a body shorter than SNIFF_BYTES
        sniffed, cap = _sniffed(body, caps, declared, label)
    if len(body) > cap:
        raise OriginTooLarge(f"{label} has more than {cap} bytes")
    return Original(body, response.headers.get("content-type", ""))


def _head(chunks: list[bytes]) -> bytes:
    """The first SNIFF_BYTES of the body read so far."""
    head = bytearray()
    for chunk in chunks:
        head += chunk[: SNIFF_BYTES - len(head)]
        if len(head) >= SNIFF_BYTES:
            break
    return bytes(head)


def _sniffed(
    body: bytes, caps: SourceByteCaps, declared: int | None, label: str
) -> tuple[OriginalFormat, int]:
    kind = sniff_image(bytes(body[:SNIFF_BYTES]))
    if kind is None:
        raise OriginNotAnImage(f"{label} is not an image (first bytes {bytes(body[:16])!r})")
    if not kind.decodable:  # refused before the rest of the body is read, and remembered
        raise OriginNotAnImage(f"{label} is {kind}, which cannot be decoded (only AVIF is)")
    sniffed = capped_as(kind)
    cap = caps.cap_for(sniffed)
    if declared is not None and declared > cap:
        raise OriginTooLarge(f"{label} declares {declared} bytes, over the {sniffed} cap {cap}")
    return sniffed, cap


def _declared_length(headers: httpx.Headers) -> int | None:
    declared = headers.get("content-length", "").strip()
    return int(declared) if declared.isascii() and declared.isdigit() else None
