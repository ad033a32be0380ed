"""A corpus of hostile originals, made in code: bombs, truncated and corrupt files, polyglots,
active SVGs, things that are no image at all, and legitimate but odd images.

Every `Specimen` names what the service must answer for it:

- `reason`: the fallback image with this `X-Fallback` value;
- `IMAGE`: a real image (an odd but valid original, or an SVG whose payload was removed);
- for SVG specimens, `banned` lists what must not survive in the sanitised SVG output.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from tests.support.images import encode, jpeg, png_bomb

IMAGE = "image"  # expected: a real image, no fallback


@dataclass(frozen=True)
class Specimen:
    """One hostile original and the answer it must get."""

    name: str
    data: bytes
    expect: str  # a fallback reason, or IMAGE
    banned: tuple[str, ...] = field(default=())  # SVG only: must not survive sanitising

    @property
    def is_svg(self) -> bool:
        return self.name.endswith(".svg")


# --- building blocks ---------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _picture(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    ImageDraw.Draw(image).ellipse([4, 4, width - 4, height - 4], fill=(20, 90, 220))
    return image.convert(mode)


def png(**options: object) -> bytes:
    return encode(_picture(), "PNG", **options)


def gif() -> bytes:
    return encode(_picture().convert("P"), "GIF")


def animated_gif(frames: int = 4) -> bytes:
    images = [_picture().rotate(angle * 20).convert("P") for angle in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return buffer.getvalue()


def webp() -> bytes:
    return encode(_picture(), "WEBP", quality=80)


def avif() -> bytes:
    return encode(_picture(), "AVIF", quality=60)


def tiff() -> bytes:
    return encode(_picture(), "TIFF")


def bmp() -> bytes:
    return encode(_picture(), "BMP")


def small_jpeg() -> bytes:
    return jpeg(96, 64)


def gif_header(width: int, height: int, frames: int, frame_size: tuple[int, int] = (1, 1)) -> bytes:
    """A GIF claiming a `width` x `height` screen with `frames` tiny image descriptors."""
    head = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = (
        b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: 100 ms
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, *frame_size, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW: one pixel of colour 0
    )
    return head + frame * frames + b"\x3b"


def jpeg_with_size(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF) claims `width` x `height`."""
    data = bytearray(small_jpeg())
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            struct.pack_into(">HH", data, at + 5, height, width)
            return bytes(data)
    raise AssertionError("no SOF marker in the test JPEG")


def jpeg_scan_bomb(scans: int = 400) -> bytes:
    """A progressive JPEG whose last scan is repeated `scans` times."""
    data = encode(_picture(), "JPEG", quality=80, progressive=True)
    last_scan = data.rfind(b"\xff\xda")
    scan = data[last_scan:-2]
    return data[:last_scan] + scan * scans + b"\xff\xd9"


def webp_header(width: int, height: int) -> bytes:
    """A lossless WebP whose VP8L header claims `width` x `height` (no real bitstream)."""
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 32
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def apng_frames(claimed: int) -> bytes:
    """A PNG with an animation control chunk claiming `claimed` frames."""
    data = png()
    actl = _png_chunk(b"acTL", struct.pack(">II", claimed, 0))
    return data[:33] + actl + data[33:]


def tiff_header(width: int, height: int) -> bytes:
    """A little-endian TIFF whose first IFD claims `width` x `height`."""
    entries = [
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 8),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, min(width * height, 0xFFFFFFFF)),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


def bmp_header(width: int, height: int) -> bytes:
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(header) + 16, 0, 0, 14 + len(header)) + header


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: max(1, int(len(data) * keep))]


def zip_archive(name: str = "payload.class", body: bytes = b"\xca\xfe\xba\xbe" * 64) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, body)
        archive.writestr("META-INF/MANIFEST.MF", "Main-Class: payload\n")
    return buffer.getvalue()


def _corrupt_png_crc(data: bytes) -> bytes:
    broken = bytearray(data)
    idat = broken.find(b"IDAT")
    length = struct.unpack_from(">I", broken, idat - 4)[0]
    broken[idat + 4 + length] ^= 0xFF  # the first CRC byte of the IDAT chunk
    return bytes(broken)


def _corrupt_png_stream(data: bytes) -> bytes:
    """The IDAT's zlib stream made invalid, with a correct CRC (a decode error, not a checksum)."""
    idat = data.find(b"IDAT")
    length = struct.unpack_from(">I", data, idat - 4)[0]
    garbage = b"\x78\x9c" + b"\xff" * (length - 2)
    return data[: idat - 4] + _png_chunk(b"IDAT", garbage) + data[idat + 8 + length :]


def _corrupt_bytes(data: bytes, start: float, span: int = 64) -> bytes:
    at = int(len(data) * start)
    return data[:at] + bytes((byte ^ 0x5A) for byte in data[at : at + span]) + data[at + span :]


def _jpeg_bad_scan_table(data: bytes) -> bytes:
    """The first scan names a Huffman table that does not exist."""
    broken = bytearray(data)
    broken[broken.find(b"\xff\xda") + 6] = 0x77
    return bytes(broken)


def _jpeg_without_components(data: bytes) -> bytes:
    """A frame header (SOF) with no colour components."""
    broken = bytearray(data)
    broken[broken.find(b"\xff\xc0") + 9] = 0
    return bytes(broken)


def _webp_bad_start_code(data: bytes) -> bytes:
    """The VP8 key frame's start code broken: no decoder accepts the frame."""
    broken = bytearray(data)
    broken[broken.find(b"\x9d\x01\x2a")] = 0
    return bytes(broken)


def _svg(body: str, extra: str = "") -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="120" height="80" viewBox="0 0 120 80" {extra}>'
        '<rect width="120" height="80" fill="#3366cc"/>'
        f"{body}</svg>"
    ).encode()


def _nested_svg(depth: int) -> bytes:
    return _svg("<g>" * depth + "</g>" * depth)


def _many_elements_svg(count: int) -> bytes:
    return _svg('<rect width="1" height="1"/>' * count)


def _use_bomb_svg() -> bytes:
    levels = ['<rect id="l0" width="1" height="1"/>']
    for level in range(1, 8):
        uses = "".join(f'<use href="#l{level - 1}"/>' for _ in range(10))
        levels.append(f'<g id="l{level}">{uses}</g>')
    return _svg(f"<defs>{''.join(levels)}</defs><use href='#l7'/>")


def _embedded_png_svg(copies: int, side: int = 4000) -> bytes:
    """`copies` embedded PNGs of `side` x `side` blank pixels (tiny compressed, huge decoded)."""
    blank = encode(Image.new("1", (side, side)), "PNG", optimize=True)
    payload = base64.b64encode(blank).decode()
    image = f'<image width="10" height="10" href="data:image/png;base64,{payload}"/>'
    return _svg(image * copies)


# --- the corpus ------------------------------------------------------------------------------


def _bombs() -> list[Specimen]:
    bomb = "decompression-bomb"
    return [
        Specimen("bomb-100k-square.png", png_bomb(), bomb),
        Specimen("bomb-just-over-limit.png", png_bomb(8000, 7000), bomb),
        Specimen("bomb-screen.gif", gif_header(65535, 65535, 1), bomb),
        Specimen(
            "bomb-frame-past-screen.gif", gif_header(1, 1, 1, frame_size=(65535, 65535)), bomb
        ),
        Specimen("bomb-100000-frames.gif", gif_header(1, 1, 100_000), bomb),
        Specimen("bomb-animation-pixels.gif", gif_header(2000, 1000, 60), bomb),
        Specimen("bomb-canvas.webp", webp_header(16383, 16383), bomb),
        Specimen("bomb-sof.jpg", jpeg_with_size(65000, 65000), bomb),
        Specimen("bomb-scans.jpg", jpeg_scan_bomb(), bomb),
        Specimen("bomb-actl-frames.png", apng_frames(1_000_000_000), bomb),
        Specimen("bomb-header.tiff", tiff_header(100_000, 100_000), bomb),
        Specimen("bomb-header.bmp", bmp_header(100_000, 100_000), bomb),
        Specimen("bomb-use-expansion.svg", _use_bomb_svg(), bomb),
        Specimen("bomb-deep-nesting.svg", _nested_svg(5_000), bomb),
        Specimen("bomb-many-elements.svg", _many_elements_svg(60_000), bomb),
        Specimen("bomb-embedded-pixels.svg", _embedded_png_svg(8), bomb),
    ]


def _broken() -> list[Specimen]:
    failed = "decode-failed"
    makers: dict[str, Callable[[], bytes]] = {
        "jpg": small_jpeg,
        "png": png,
        "gif": animated_gif,
        "webp": webp,
        "avif": avif,
        "tiff": tiff,
        "bmp": bmp,
    }
    specimens = [
        Specimen(f"truncated.{extension}", truncated(make()), failed)
        for extension, make in makers.items()
    ]
    specimens += [
        Specimen("truncated.svg", truncated(_svg('<circle r="10"/>')), failed),
        Specimen("corrupt-crc.png", _corrupt_png_crc(png()), failed),
        Specimen("corrupt-stream.png", _corrupt_png_stream(png()), failed),
        Specimen("corrupt-scan-table.jpg", _jpeg_bad_scan_table(small_jpeg()), failed),
        Specimen("corrupt-components.jpg", _jpeg_without_components(small_jpeg()), failed),
        Specimen("corrupt-start-code.webp", _webp_bad_start_code(webp()), failed),
        Specimen("corrupt-body.avif", _corrupt_bytes(avif(), 0.5, span=200), failed),
        Specimen("corrupt-lzw.gif", _corrupt_bytes(gif(), 0.5, span=128), failed),
        Specimen("corrupt-markup.svg", _svg('<rect width="1"></circle>'), failed),
    ]
    return specimens


def _polyglots() -> list[Specimen]:
    refused = "not-an-image"
    html = b"<!doctype html><html><body><script>alert(document.domain)</script></body></html>"
    comment_script = (
        small_jpeg()[:2] + b"\xff\xfe\x00\x30<script>alert(1)</script>     " + (small_jpeg()[2:])
    )
    text_html = png()[:33] + _png_chunk(b"tEXt", b"Comment\x00" + html) + png()[33:]
    return [
        Specimen("gifar.gif", gif() + zip_archive(), refused),
        Specimen("jpeg-zip.jpg", small_jpeg() + zip_archive(), refused),
        Specimen("png-html.png", png() + html, refused),
        Specimen("png-html-in-text-chunk.png", text_html, refused),
        Specimen("webp-html.webp", webp() + html, refused),
        Specimen("jpeg-script-comment.jpg", comment_script, refused),
    ]


def _not_images() -> list[Specimen]:
    refused = "not-an-image"
    return [
        Specimen("zero-bytes.jpg", b"", refused),
        Specimen("one-byte.png", b"\x89", refused),
        Specimen("archive.zip.png", zip_archive(), refused),
        Specimen(
            "page.html.jpg", b"<!doctype html><html><script>alert(1)</script></html>", refused
        ),
        Specimen("script.php.gif", b"<?php system($_GET['c']); ?>", refused),
        Specimen("json.png", b'{"image": "no"}', refused),
        Specimen("xhtml.svg", b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>', refused),
        Specimen("heic.jpg", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", refused),
        Specimen("whitespace.svg", b" \n\t " * 100, refused),
        Specimen("nul-bytes.webp", b"\x00" * 4096, refused),
    ]


def _oddities() -> list[Specimen]:
    picture = _picture()
    palette_alpha = picture.convert("P")
    palette_alpha.info["transparency"] = 0
    sixteen = Image.linear_gradient("L").resize((64, 48)).convert("I;16")
    return [
        Specimen("cmyk.jpg", encode(picture.convert("CMYK"), "JPEG", quality=85), IMAGE),
        Specimen("grey.jpg", encode(picture.convert("L"), "JPEG"), IMAGE),
        Specimen("sixteen-bit.png", encode(sixteen, "PNG"), IMAGE),
        Specimen("palette-alpha.png", encode(palette_alpha, "PNG", transparency=0), IMAGE),
        Specimen("la.png", encode(picture.convert("LA"), "PNG"), IMAGE),
        Specimen("one-bit.png", encode(picture.convert("1"), "PNG"), IMAGE),
        Specimen("interlaced.png", encode(picture, "PNG", interlace=1), IMAGE),
        Specimen("cmyk.tiff", encode(picture.convert("CMYK"), "TIFF"), IMAGE),
        Specimen("float.tiff", encode(picture.convert("F"), "TIFF"), IMAGE),
        Specimen("progressive.jpg", encode(picture, "JPEG", progressive=True), IMAGE),
        Specimen("sliver.png", encode(Image.new("RGB", (1, 4000), (9, 9, 9)), "PNG"), IMAGE),
        Specimen("animated.gif", animated_gif(), IMAGE),
        Specimen("padded.png", png() + b"\x00" * 16, IMAGE),
        Specimen("morphology.svg", _svg(_FILTER_BOMB), IMAGE, ("feMorphology",)),
    ]


_FILTER_BOMB = (
    '<filter id="f"><feMorphology operator="dilate" radius="400"/>'
    '<feTurbulence baseFrequency="0.05" numOctaves="100000"/>'
    '<feConvolveMatrix order="100"/></filter>'
    '<rect width="120" height="80" filter="url(#f)"/>'
)


def _active_svgs() -> list[Specimen]:
    payloads = {
        "script.svg": ("<script>alert(document.cookie)</script>", "", ("script", "alert")),
        "onload.svg": (
            '<circle r="5" onclick="steal()"/>',
            'onload="alert(1)"',
            ("onload", "onclick"),
        ),
        "foreign-object.svg": (
            '<foreignObject width="50" height="50"><iframe xmlns="http://www.w3.org/1999/xhtml"'
            ' src="https://evil.example/"/></foreignObject>',
            "",
            ("foreignObject", "iframe", "evil.example"),
        ),
        "external-use.svg": ('<use href="https://evil.example/s.svg#x"/>', "", ("evil.example",)),
        "external-image.svg": (
            '<image href="https://evil.example/t.png" width="9" height="9"/>'
            '<image xlink:href="file:///etc/passwd" width="9" height="9"/>'
            '<image href="/etc/passwd" width="9" height="9"/>',
            "",
            ("evil.example", "passwd"),
        ),
        "fe-image.svg": (
            '<filter id="f"><feImage href="https://evil.example/x.png"/></filter>'
            '<rect width="9" height="9" filter="url(#f)"/>',
            "",
            ("evil.example",),
        ),
        "css-url.svg": (
            "<style>rect { fill: url(https://evil.example/p) }</style>"
            '<rect width="9" height="9" style="background:url(https://evil.example/q)"/>',
            "",
            ("evil.example",),
        ),
        "css-import.svg": (
            "<style>@import 'https://evil.example/x.css';</style>",
            "",
            ("@import",),
        ),
        "javascript-link.svg": (
            '<a href="javascript:alert(1)"><text y="20">x</text></a>',
            "",
            ("javascript",),
        ),
        "data-svg.svg": (
            '<image href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" width="9" '
            'height="9"/>',
            "",
            ("svg+xml",),
        ),
        "animate-href.svg": (
            '<a><set attributeName="href" to="javascript:alert(1)"/><text y="9">x</text></a>'
            '<animate attributeName="onclick" values="alert(1)"/>',
            "",
            ("javascript", "animate", "<set"),
        ),
        "xml-base.svg": (
            '<g xml:base="https://evil.example/"><use href="#r"/></g><rect id="r" width="1"/>',
            "",
            ("evil.example", "xml:base"),
        ),
    }
    specimens = [
        Specimen(name, _svg(body, extra), IMAGE, banned)
        for name, (body, extra, banned) in payloads.items()
    ]
    stylesheet = b'<?xml-stylesheet href="https://evil.example/x.css"?>' + _svg("")
    specimens.append(Specimen("stylesheet-pi.svg", stylesheet, IMAGE, ("evil.example",)))
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>'
    )
    specimens += [
        Specimen("xxe.svg", xxe, "decode-failed"),
        Specimen("billion-laughs.svg", laughs, "decode-failed"),
    ]
    return specimens


def corpus() -> list[Specimen]:
    """Every specimen, with unique names."""
    specimens = _bombs() + _broken() + _polyglots() + _not_images() + _oddities() + _active_svgs()
    names = [specimen.name for specimen in specimens]
    assert len(names) == len(set(names)), "specimen names must be unique"
    return specimens
