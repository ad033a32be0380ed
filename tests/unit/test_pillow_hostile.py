"""The Pillow processor against hostile originals: every specimen of the corpus, the structure
checks one by one, SVG hardening, the killable rasteriser and the last-resort translation."""

from __future__ import annotations

import io
import struct
import time
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from adapters.pillow import SourceLimits
from adapters.pillow import pipeline as pipeline_module
from adapters.pillow.guards import guard_pillow
from adapters.pillow.processor import render_safely
from adapters.pillow.sniff import SourceFormat, sniff
from adapters.pillow.structure import (
    gif_end,
    gif_frame_count,
    jpeg_scan_count,
    png_damaged_chunk,
    png_end,
    polyglot_marker,
)
from adapters.pillow.svg import FILTER_WEIGHT, MIN_CANVAS_PIXELS, sanitise
from application.errors import (
    DecodeFailed,
    DecompressionBomb,
    NotAnImage,
    ProcessingError,
    ProcessingTimeout,
)
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec
from tests.support import hostile
from tests.support.images import encode, jpeg, open_image

LIMITS = SourceLimits(max_render_seconds=10)
CORPUS = hostile.corpus()


def spec(fmt: str = "png", width: int = 60, height: int = 40) -> TransformSpec:
    return TransformSpec(
        Box(width, height),
        Fit.CONTAIN,
        Position.CENTER,
        Background.parse("FF0000"),
        0,
        80,
        OutputFormat(fmt),
    )


@pytest.fixture(autouse=True)
def pillow_guarded() -> None:
    guard_pillow(LIMITS)  # pytest resets warning filters per test: the server sets them once


def outcome(original: bytes, options: TransformSpec, limits: SourceLimits = LIMITS) -> str:
    try:
        render_safely(original, options, limits)
    except ProcessingError as exc:
        return exc.reason.value
    return hostile.IMAGE


# --- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("specimen", CORPUS, ids=[specimen.name for specimen in CORPUS])
def test_every_specimen_gets_its_answer(specimen: hostile.Specimen) -> None:
    assert outcome(specimen.data, spec()) == specimen.expect


SVGS = [specimen for specimen in CORPUS if specimen.is_svg and specimen.expect == hostile.IMAGE]


@pytest.mark.parametrize("specimen", SVGS, ids=[specimen.name for specimen in SVGS])
def test_an_svg_output_holds_none_of_the_payload(specimen: hostile.Specimen) -> None:
    rendition = render_safely(specimen.data, spec("svg"), LIMITS)
    text = rendition.data.decode()

    assert rendition.format is OutputFormat.SVG
    for banned in specimen.banned:
        assert banned not in text
    ET.fromstring(rendition.data)  # still well-formed


# --- structure -------------------------------------------------------------------------------


def test_gif_frames_are_counted_only_past_the_limit() -> None:
    many = hostile.gif_header(1, 1, 100_000)

    assert gif_frame_count(many, stop_after=10) == 11
    assert gif_frame_count(hostile.gif_header(1, 1, 7), stop_after=10) == 7
    assert gif_frame_count(b"GIF89a", stop_after=10) == 0


def test_gif_frames_behind_stray_bytes_are_still_counted() -> None:
    frames = hostile.gif_header(1, 1, 3)
    first_frame = frames.index(b"\x21\xf9")
    hidden = frames[:first_frame] + b"\x99junk" + frames[first_frame:]

    assert gif_frame_count(hidden, stop_after=10) == 3
    assert Image.open(io.BytesIO(hidden)).n_frames == 3  # as Pillow steps over them


def test_scans_are_counted_unless_the_headers_prove_a_single_pass() -> None:
    photo = Image.new("RGB", (64, 48), (200, 40, 40))
    sequential = encode(photo, "JPEG")
    progressive = encode(photo, "JPEG", progressive=True)
    # a sequential frame whose first scan holds every component, then more scans anyway
    padded = sequential[:-2] + sequential[sequential.rfind(b"\xff\xda") : -2] * 300 + b"\xff\xd9"

    assert jpeg_scan_count(sequential) == 1
    assert jpeg_scan_count(padded) == 1  # libjpeg stops at the second scan: no bomb
    assert jpeg_scan_count(progressive) == progressive.count(b"\xff\xda") > 1
    assert jpeg_scan_count(hostile.jpeg_scan_bomb()) > 400


def test_image_ends_are_found_by_walking_the_container() -> None:
    png = hostile.png()
    gif = hostile.gif()

    assert png_end(png + b"trailer") == len(png)
    assert gif_end(gif + b"trailer") == len(gif)
    assert png_end(png[:20]) is None


@pytest.mark.parametrize(
    "original",
    [
        jpeg(64, 48) + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000,  # a phone's motion photo
        jpeg(64, 48) + b"trailing bytes a camera left",
        hostile.png() + b"\x00\r\n",
        encode(Image.new("RGB", (8, 8)), "PNG", pnginfo=None),
    ],
)
def test_real_world_extras_are_not_polyglots(original: bytes) -> None:
    assert polyglot_marker(original, sniff(original)) is None
    assert outcome(original, spec()) == hostile.IMAGE


def test_a_zip_is_found_only_where_a_zip_reader_would_find_it() -> None:
    archive = hostile.zip_archive()
    looks_like_end = b"PK\x05\x06" + b"\x00" * 18 + b"....."  # comment length does not fit

    assert polyglot_marker(hostile.small_jpeg() + archive, SourceFormat.JPEG) == "a ZIP archive"
    assert polyglot_marker(hostile.small_jpeg() + looks_like_end, SourceFormat.JPEG) is None


def test_a_damaged_png_chunk_is_named() -> None:
    good = hostile.png()
    broken = bytearray(good)
    broken[20] ^= 0xFF  # inside IHDR

    assert png_damaged_chunk(good) is None
    assert png_damaged_chunk(bytes(broken)) == "IHDR"


def test_a_frame_that_grows_the_canvas_is_checked_when_reached() -> None:
    pixel = b"\x02\x02\x44\x01\x00"  # LZW: one pixel of colour 0
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + pixel
    huge = b"\x2c" + struct.pack("<HHHHB", 0, 0, 20_000, 20_000, 0) + pixel
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    still = head + frame + b"\x3b"
    animation = head + frame + huge + b"\x3b"
    limits = SourceLimits(max_source_pixels=1_000_000)

    assert outcome(still, spec("webp"), limits) == hostile.IMAGE
    with pytest.raises(DecompressionBomb):
        render_safely(animation, spec("webp"), limits)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("size", [40, 4_000, 8_192])
def test_sniffing_whitespace_and_broken_prologues_takes_linear_time(size: int) -> None:
    for original in (b" \n\t" * size, b"<!--" * size, b"<?xml" * size, b"<!DOCTYPE [" * size):
        with pytest.raises(NotAnImage):
            sniff(original)


def test_prologues_before_the_svg_root_are_still_recognised() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    prologues = [
        b"",
        b"\xef\xbb\xbf",
        b'<?xml version="1.0"?>\n',
        b"<!-- made by hand -->\n",
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "svg11.dtd">',
        b"<!doctype svg [<!ELEMENT svg ANY>]>\n",
    ]
    for prologue in prologues:
        assert sniff(prologue + svg) is SourceFormat.SVG


# --- SVG -------------------------------------------------------------------------------------

SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'


def test_costly_filter_primitives_and_xml_base_are_dropped() -> None:
    document = sanitise(
        (
            SVG_HEAD + '<filter id="f"><feMorphology radius="500"/><feTurbulence numOctaves="9"/>'
            '<feConvolveMatrix order="90"/><feGaussianBlur stdDeviation="2"/></filter>'
            '<g xml:base="https://evil.example/" xml:lang="en"><rect width="9" height="9"/></g>'
            "</svg>"
        ).encode(),
        LIMITS,
    )
    text = document.data.decode()

    for gone in ("feMorphology", "feTurbulence", "feConvolveMatrix", "xml:base", "evil"):
        assert gone not in text
    assert "feGaussianBlur" in text
    assert 'xml:lang="en"' in text


def test_the_paint_weight_caps_the_canvas_of_costly_documents() -> None:
    plain = sanitise((SVG_HEAD + '<rect width="9" height="9"/>' * 10 + "</svg>").encode(), LIMITS)
    shadows = "".join('<rect width="9" height="9" filter="url(#f)"/>' for _ in range(100))
    filtered = sanitise(
        (SVG_HEAD + '<filter id="f"><feGaussianBlur/></filter>' + shadows + "</svg>").encode(),
        LIMITS,
    )
    styled = sanitise(
        (
            SVG_HEAD + "<style>.a { filter: url(#f) }</style>" + '<rect class="a"/>' * 3 + "</svg>"
        ).encode(),
        LIMITS,
    )

    assert plain.weight == 11  # the root and the 10 rectangles, flat fills all
    assert filtered.weight >= 100 * FILTER_WEIGHT
    assert filtered.max_canvas_pixels == MIN_CANVAS_PIXELS
    assert styled.weight >= 3 * FILTER_WEIGHT  # a style sheet can filter anything
    assert plain.max_canvas_pixels > 100 * filtered.max_canvas_pixels


def test_a_costly_svg_is_still_rendered_at_the_asked_size_but_from_a_smaller_canvas() -> None:
    shadows = "".join('<circle cx="50" cy="50" r="40" filter="url(#f)"/>' for _ in range(30))
    original = SVG_HEAD + '<filter id="f"><feGaussianBlur/></filter>' + shadows + "</svg>"

    image = open_image(render_safely(original.encode(), spec("png", 1000, 1000), LIMITS).data)

    assert image.size == (1000, 1000)


def test_fe_image_references_expand_like_use() -> None:
    levels = ['<rect id="l0" width="1" height="1"/>']
    for level in range(1, 7):
        refs = "".join(f'<feImage href="#l{level - 1}"/>' for _ in range(10))
        levels.append(f'<filter id="l{level}">{refs}</filter>')
    document = SVG_HEAD + "".join(levels) + "</svg>"

    with pytest.raises(DecompressionBomb, match="expand"):
        sanitise(document.encode(), LIMITS)


def test_deep_nesting_is_refused_while_parsing() -> None:
    deep = SVG_HEAD + "<g>" * 200_000  # never closed: refused long before the end

    with pytest.raises(DecompressionBomb, match="deeper"):
        sanitise(deep.encode(), LIMITS)


def test_a_long_length_attribute_is_no_regular_expression_bomb() -> None:
    started = time.perf_counter()
    document = sanitise(
        ('<svg xmlns="http://www.w3.org/2000/svg" width="' + "1" * 200_000 + 'x"/>').encode(),
        LIMITS,
    )
    assert time.perf_counter() - started < 5  # quadratic backtracking took minutes here
    assert document.size.width == 300  # unreadable: the CSS default


@pytest.mark.timeout(30)
def test_an_svg_that_paints_too_long_is_killed_at_the_deadline() -> None:
    shadows = "".join('<rect width="100" height="100" filter="url(#f)"/>' for _ in range(2_000))
    original = SVG_HEAD + '<filter id="f"><feGaussianBlur stdDeviation="9"/></filter>'
    started = time.perf_counter()

    with pytest.raises(ProcessingTimeout):
        render_safely(
            (original + shadows + "</svg>").encode(),
            spec("png", 500, 500),
            SourceLimits(max_render_seconds=0.5),
        )
    assert time.perf_counter() - started < 5


def test_a_rasteriser_that_fails_is_a_decode_failure() -> None:
    empty = b'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>'
    with pytest.raises(DecodeFailed, match="invalid size"):  # resvg's own refusal
        render_safely(empty, spec(), LIMITS)


# --- the last resort -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "reason"),
    [(ZeroDivisionError("a bug"), "decode-failed"), (MemoryError(), "decompression-bomb")],
)
def test_an_unexpected_failure_still_ends_in_a_fallback(
    monkeypatch: pytest.MonkeyPatch, failure: BaseException, reason: str
) -> None:
    def broken(*_: object) -> None:
        raise failure

    monkeypatch.setattr("adapters.pillow.processor.render", broken)

    assert outcome(hostile.png(), spec()) == reason
    assert pipeline_module.render is not broken  # only the processor's reference was patched
