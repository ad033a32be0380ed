"""Telling an original's format from its first bytes."""

from __future__ import annotations

import pytest

from adapters.pillow.sniff import SourceFormat, sniff
from application.errors import NotAnImage


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (len(body) + 8).to_bytes(4, "big") + b"ftyp" + body + b"\x00" * 32


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", SourceFormat.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", SourceFormat.PNG),
        (b"GIF87a\x01\x00", SourceFormat.GIF),
        (b"GIF89a\x01\x00", SourceFormat.GIF),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", SourceFormat.WEBP),
        (b"II*\x00\x08\x00\x00\x00", SourceFormat.TIFF),
        (b"MM\x00*\x00\x00\x00\x08", SourceFormat.TIFF),
        (b"BM" + b"\x00" * 40, SourceFormat.BMP),
        (ftyp(b"avif", b"mif1", b"miaf"), SourceFormat.AVIF),
        (ftyp(b"mif1", b"mif1", b"avif"), SourceFormat.AVIF),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', SourceFormat.SVG),
        (b'\xef\xbb\xbf  <?xml version="1.0"?>\n<!-- hi --><svg>', SourceFormat.SVG),
        (b'<!DOCTYPE svg [<!ENTITY a "b">]>\n<SVG width="1">', SourceFormat.SVG),
    ],
)
def test_the_signature_names_the_format(head: bytes, expected: SourceFormat) -> None:
    assert sniff(head) is expected


@pytest.mark.parametrize(
    "head",
    [
        ftyp(b"heic", b"mif1", b"heic"),
        b"<html><svg></svg></html>",
        b"<?xml version='1.0'?><svgx/>",
        b"%PDF-1.7",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
    ],
)
def test_other_bytes_are_not_an_image(head: bytes) -> None:
    with pytest.raises(NotAnImage):
        sniff(head)
