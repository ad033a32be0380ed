"""Sniffing an original's format from its first bytes, and its byte cap (domain/originals.py)."""

from __future__ import annotations

import pytest

from domain.originals import MIB, OriginalFormat, SourceByteCaps, sniff_original
from tests.support import images


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (images.jpeg(16, 16), OriginalFormat.JPEG),
        (images.png_with_alpha(16, 16), OriginalFormat.PNG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", OriginalFormat.WEBP),
        (b"GIF87a\x01\x00", OriginalFormat.GIF),
        (b"GIF89a\x01\x00", OriginalFormat.GIF),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", OriginalFormat.SVG),
        (
            b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- Inkscape -->\n"
            b"<!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1//EN' 'x.dtd'>\n<svg>",
            OriginalFormat.SVG,
        ),
        (b"II*\x00\x08\x00\x00\x00", OriginalFormat.OTHER),  # TIFF
        (b"MM\x00*\x00\x00\x00\x08", OriginalFormat.OTHER),
        (b"BM" + b"\0" * 30, OriginalFormat.OTHER),  # BMP
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", OriginalFormat.OTHER),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", OriginalFormat.OTHER),
    ],
)
def test_images_are_told_by_their_magic_numbers(head: bytes, expected: OriginalFormat) -> None:
    assert sniff_original(head) is expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<!doctype html><html><body>Please log in</body></html>",
        b"<html><svg></svg></html>",  # an HTML page with an inline SVG is a page
        b'{"error": "not found"}',
        b"\x1f\x8b\x08\x00",  # gzip
        b"PK\x03\x04",  # zip
        b"%PDF-1.7",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",  # an MP4 video
        b"BM",  # too short to be a BMP
        b"\xff\xd8",  # too short to be a JPEG
    ],
)
def test_other_bodies_are_not_images(head: bytes) -> None:
    assert sniff_original(head) is None


def test_the_default_caps_are_the_issue_s() -> None:
    caps = SourceByteCaps()
    assert [caps.cap_for(f) for f in OriginalFormat] == [
        5 * MIB,  # jpeg
        8 * MIB,  # png
        3 * MIB,  # webp
        2 * MIB,  # gif
        1 * MIB,  # svg
        10 * MIB,  # other
    ]
    assert caps.largest == 10 * MIB


def test_the_largest_cap_is_the_largest_of_any_format() -> None:
    assert SourceByteCaps(png=20 * MIB).largest == 20 * MIB


def test_a_cap_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SourceByteCaps(gif=0)
