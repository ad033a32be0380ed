"""What an original's bytes are made of, read without decoding a pixel.

Cheap walks over the container formats, each bounded by the bytes it is given:

- how many frames a GIF holds (Pillow's own count walks every frame in Python; this one stops
  as soon as the limit is passed);
- how many scans a JPEG has (a progressive JPEG with thousands of scans costs a full decode
  pass each: the "scan bomb");
- where a PNG, GIF or WebP ends, and whether something else follows it or surrounds it
  (a polyglot: the same bytes are also a ZIP archive, an HTML page or a script).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator

from adapters.pillow.sniff import SourceFormat

_GIF_BLOCK = re.compile(rb"[\x21\x2c\x3b]")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
_JPEG_SOS = b"\xff\xda"
_JPEG_SEQUENTIAL_SOF = frozenset({0xC0, 0xC1, 0xC3, 0xC5, 0xC7, 0xC9, 0xCB, 0xCD, 0xCF})
_JPEG_PROGRESSIVE_SOF = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_ZIP_END = b"PK\x05\x06"  # end of central directory record: a ZIP reader starts from it
_ZIP_END_SIZE = 22
_ZIP_SEARCH = 65_535 + _ZIP_END_SIZE  # the record sits within this many bytes of the end
# markup a browser or an interpreter would act on, looked for where sniffers look: the start
# and the end of the file, and anything after the image's own end
_MARKUP = re.compile(
    rb"<(?:html|head|body|script|iframe|object|embed|svg|\?php|!doctype\s+html)[\s>/]",
    re.IGNORECASE,
)
_SNIFF_WINDOW = 1024
# padding some writers leave after the end of the image: not a second document
_PADDING = frozenset(b"\x00\r\n\t ")


def gif_frame_count(data: bytes, stop_after: int) -> int:
    """The image descriptors in a GIF, counting no further than `stop_after + 1`.

    Walks blocks as Pillow does, skipping unknown bytes one by one (so frames cannot hide
    from this count behind a stray byte that Pillow would step over).
    """
    frames = 0
    position = _gif_first_block(data)
    while 0 <= position < len(data) and frames <= stop_after:
        block = data[position]
        if block == 0x3B:
            break
        if block == 0x21:
            position = _after_sub_blocks(data, position + 2)
        elif block == 0x2C:
            frames += 1
            position = _after_gif_image(data, position)
        else:
            found = _GIF_BLOCK.search(data, position + 1)
            position = found.start() if found else len(data)
    return frames


def gif_end(data: bytes) -> int | None:
    """The offset just after a GIF's trailer, or None when the walk finds none."""
    position = _gif_first_block(data)
    while 0 <= position < len(data):
        block = data[position]
        if block == 0x3B:
            return position + 1
        if block == 0x21:
            position = _after_sub_blocks(data, position + 2)
        elif block == 0x2C:
            position = _after_gif_image(data, position)
        else:
            return None
    return None


def _gif_first_block(data: bytes) -> int:
    if len(data) < 13:
        return -1
    flags = data[10]
    return 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)


def _after_gif_image(data: bytes, position: int) -> int:
    if position + 10 > len(data):
        return len(data)
    packed = data[position + 9]
    position += 10
    if packed & 0x80:
        position += 3 << ((packed & 7) + 1)
    return _after_sub_blocks(data, position + 1)  # the LZW code size, then the data


def _after_sub_blocks(data: bytes, position: int) -> int:
    while position < len(data):
        size = data[position]
        position += 1 + size
        if size == 0:
            return position
    return len(data)


def jpeg_scan_count(data: bytes) -> int:
    """An upper bound of the scans in a JPEG: every start-of-scan marker in the bytes.

    Entropy-coded data stuffs every 0xFF with a zero byte, so a marker cannot appear inside
    a scan; only an embedded thumbnail's scans (in EXIF) can add to the count. A sequential
    JPEG whose first scan holds every component is one pass (libjpeg refuses any scan after
    it), so its count is 1 from the headers alone: counting markers over a large photo costs
    a tenth of its decode.
    """
    if _jpeg_single_scan(data):
        return 1
    return data.count(_JPEG_SOS)


def _jpeg_single_scan(data: bytes) -> bool:
    """Whether the frame is sequential and its first scan interleaves all its components;
    walks the marker segments before that scan, never the entropy-coded data."""
    components = 0
    position = 2
    while position + 5 <= len(data):
        if data[position] != 0xFF:
            return False  # not a well-formed header: count the slow, safe way
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1  # fill bytes before a marker
            continue
        if marker in _JPEG_PROGRESSIVE_SOF:
            return False
        if marker in _JPEG_SEQUENTIAL_SOF and position + 10 <= len(data):
            components = data[position + 9]
        if marker == 0xDA:
            return components > 0 and data[position + 4] == components
        (length,) = struct.unpack_from(">H", data, position + 2)
        position += 2 + length
    return False


def png_end(data: bytes) -> int | None:
    """The offset just after a PNG's IEND chunk, walking the chunks; None when there is none."""
    for kind, _, end in _png_chunks(data):
        if kind == b"IEND":
            return end
    return None


def png_damaged_chunk(data: bytes) -> str | None:
    """The first critical chunk whose checksum is wrong, as libpng (and so browsers) refuse
    it; Pillow does not check the image data's checksums."""
    for kind, start, end in _png_chunks(data):
        if kind in _PNG_CRITICAL:
            (stored,) = struct.unpack_from(">I", data, end - 4)
            if zlib.crc32(data[start : end - 4]) != stored:
                return kind.decode("latin-1")
    return None


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """Each whole chunk: its type, where its type starts, and where it ends (after the CRC)."""
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        end = position + 12 + length
        if end > len(data):
            return
        yield data[position + 4 : position + 8], position + 4, end
        position = end


def webp_end(data: bytes) -> int | None:
    """The offset just after a WebP's RIFF container, as its header states."""
    if len(data) < 12:
        return None
    (size,) = struct.unpack_from("<I", data, 4)
    end = 8 + size + (size & 1)
    return end if end <= len(data) + 1 else None


_ENDS = {SourceFormat.PNG: png_end, SourceFormat.GIF: gif_end, SourceFormat.WEBP: webp_end}


def polyglot_marker(data: bytes, kind: SourceFormat) -> str | None:
    """What makes `data` more than an image of `kind`, or None when nothing does.

    - a ZIP end-of-central-directory record ending exactly at the end of the file
      (JPEG+ZIP, GIFAR, ... : every ZIP reader opens such a file);
    - bytes after the end of a PNG, GIF or WebP other than padding;
    - HTML, script or PHP markup in the first or last kilobyte, or after the image's end.
    A JPEG's end cannot be told without decoding (and phones append whole videos after it),
    so for a JPEG only the ZIP record and the markup count.
    """
    if _zip_end_record_at_end(data):
        return "a ZIP archive"
    end_of = _ENDS.get(kind)
    end = end_of(data) if end_of is not None else None
    trailer = data[end:] if end is not None else b""
    if trailer and not set(trailer) <= _PADDING:
        return f"{len(trailer)} bytes after the end of the {kind.value}"
    for where, window in (
        ("first", data[:_SNIFF_WINDOW]),
        ("last", data[-_SNIFF_WINDOW:]),
    ):
        if _MARKUP.search(window):
            return f"markup in the {where} kilobyte"
    return None


def _zip_end_record_at_end(data: bytes) -> bool:
    start = max(0, len(data) - _ZIP_SEARCH)
    position = data.rfind(_ZIP_END, start)
    while position >= start:
        if position + _ZIP_END_SIZE <= len(data):
            (comment_length,) = struct.unpack_from("<H", data, position + 20)
            if position + _ZIP_END_SIZE + comment_length == len(data):
                return True
        position = data.rfind(_ZIP_END, start, position)
    return False
