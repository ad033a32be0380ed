"""SVG originals: rasterised sharp at the asked size, served sanitised, hostile ones refused."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from adapters.pillow import SourceLimits
from adapters.pillow.pipeline import decode_still, render
from adapters.pillow.svg import sanitise
from adapters.pillow.vector import VectorPicture
from application.errors import DecodeFailed, DecompressionBomb, NotAnImage
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec
from tests.support.images import encode, open_image

LIMITS = SourceLimits()

BADGE = b"""<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">
  <rect x="0" y="0" width="120" height="120" fill="#ff0000"/>
  <rect x="120" y="0" width="120" height="120" fill="#0000ff"/>
</svg>"""


def spec(
    width: int = 0, height: int = 0, *, fmt: str = "png", fit: str = "inside"
) -> TransformSpec:
    return TransformSpec(
        box=Box(width, height),
        fit=Fit(fit),
        position=Position.CENTER,
        background=Background.parse("transparent"),
        trim=0,
        quality=95,
        format=OutputFormat(fmt),
    )


def raster(original: bytes, **options: Any) -> Image.Image:
    return open_image(render(original, spec(**options), LIMITS).data).convert("RGBA")


@pytest.mark.parametrize(
    ("box", "fit", "expected"),
    [
        ((800, 0), "inside", (800, 400)),
        ((100, 100), "cover", (100, 100)),
        ((0, 0), "inside", (240, 120)),
    ],
)
def test_an_svg_is_rasterised_to_the_requested_size(
    box: tuple[int, int], fit: str, expected: tuple[int, int]
) -> None:
    image = raster(BADGE, width=box[0], height=box[1], fit=fit)
    assert image.size == expected
    assert image.getpixel((2, expected[1] // 2))[:3] == (255, 0, 0)


def test_a_small_svg_asked_large_is_rendered_large_not_upscaled() -> None:
    icon = b"""<?xml version="1.0"?>
<!-- a 24x12 icon -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 12">
  <rect x="0" y="0" width="12" height="12" fill="#ff0000"/>
</svg>"""
    image = raster(icon, width=960, height=480)
    # a vector edge stays crisp: an upscaled 24 px raster would blur across ~40 px here
    assert image.getpixel((476, 240)) == (255, 0, 0, 255)
    assert image.getpixel((484, 240))[3] == 0


def test_an_svg_with_a_doctype_is_still_an_svg() -> None:
    doctype = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + BADGE
    )
    assert raster(doctype, width=120).size == (120, 60)


HOSTILE = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="100" height="100" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <defs><rect id="tile" width="10" height="10" fill="#00ff00"/></defs>
  <rect width="100" height="100" fill="#ff0000" onclick="steal()"/>
  <use xlink:href="#tile"/>
  <use href="http://evil.example/sprite.svg#x"/>
  <image href="http://evil.example/track.png" width="10" height="10"/>
  <image href="data:image/svg+xml;base64,PHN2Zy8+" width="10" height="10"/>
  <image href="data:image/png;base64,EMBEDDED" width="10" height="10"/>
  <a href="javascript:alert(1)"><circle r="5" fill="#0000ff"/></a>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
  <rect width="5" height="5" style="fill: url(http://evil.example/paint)"/>
  <rect width="5" height="5" fill="url(#tile)"/>
  <style>@import url(http://evil.example/x.css);</style>
  <set attributeName="href" to="javascript:alert(1)"/>
</svg>"""


def hostile() -> bytes:
    png = encode(Image.new("RGB", (4, 4), (1, 2, 3)), "PNG")
    return HOSTILE.replace(b"EMBEDDED", base64.b64encode(png))


def test_svg_to_svg_serves_the_sanitised_document() -> None:
    rendition = render(hostile(), spec(50, 50, fmt="svg"), LIMITS)
    text = rendition.data.decode()
    assert rendition.format is OutputFormat.SVG
    for banned in (
        "script",
        "onload",
        "onclick",
        "evil.example",
        "javascript",
        "foreignObject",
        "svg+xml",
        "@import",
        "<set",
    ):
        assert banned not in text
    root = ET.fromstring(rendition.data)
    names = [element.tag.rpartition("}")[2] for element in root.iter()]
    assert names.count("use") == 1
    assert names.count("image") == 1  # only the embedded PNG
    assert names.count("rect") == 4
    assert 'fill="url(#tile)"' in text


def test_a_sanitised_svg_still_renders() -> None:
    image = raster(hostile(), width=100, height=100)
    assert image.getpixel((50, 50)) == (255, 0, 0, 255)
    assert image.getpixel((90, 10)) == (255, 0, 0, 255)  # no external paint applied


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&secret;</text></svg>"""


@pytest.mark.parametrize("original", [BILLION_LAUGHS, EXTERNAL_ENTITY])
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_entities_fail_closed(original: bytes, fmt: str) -> None:
    with pytest.raises(DecodeFailed):
        render(original, spec(100, 100, fmt=fmt), LIMITS)


def test_use_references_that_multiply_are_a_bomb() -> None:
    levels = ['<rect id="l0" width="1" height="1"/>']
    for level in range(1, 9):
        uses = "".join(f'<use href="#l{level - 1}"/>' for _ in range(10))
        levels.append(f'<g id="l{level}">{uses}</g>')
    document = f'<svg xmlns="http://www.w3.org/2000/svg"><defs>{"".join(levels)}</defs>'
    document += '<use href="#l8"/></svg>'
    with pytest.raises(DecompressionBomb):
        render(document.encode(), spec(100, 100), LIMITS)


def test_use_references_in_a_cycle_fail_closed() -> None:
    document = b"""<svg xmlns="http://www.w3.org/2000/svg">
      <g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></svg>"""
    with pytest.raises(DecodeFailed):
        render(document, spec(100, 100), LIMITS)


@pytest.mark.parametrize(
    "original",
    [
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>',
        b"<svg>no namespace</svg>",
    ],
)
def test_xml_that_is_not_an_svg_document_is_refused(original: bytes) -> None:
    with pytest.raises(NotAnImage):
        render(original, spec(100, 100), LIMITS)


def test_broken_svg_markup_fails_to_decode() -> None:
    with pytest.raises(DecodeFailed):
        render(b'<svg xmlns="http://www.w3.org/2000/svg"><rect', spec(100, 100), LIMITS)


def test_an_embedded_raster_above_the_pixel_limit_is_a_bomb() -> None:
    big = base64.b64encode(encode(Image.new("L", (200, 200)), "PNG")).decode()
    document = (
        f'<svg xmlns="http://www.w3.org/2000/svg"><image width="1" height="1" '
        f'href="data:image/png;base64,{big}"/></svg>'
    )
    with pytest.raises(DecompressionBomb):
        render(document.encode(), spec(10, 10), SourceLimits(max_source_pixels=10_000))


def test_a_utf8_bom_and_comments_before_the_root_are_accepted() -> None:
    original = b"\xef\xbb\xbf\n<!-- logo -->\n" + BADGE
    assert raster(original, width=24).size == (24, 12)


def test_a_trimmed_svg_is_rendered_again_large_enough_for_its_content() -> None:
    logo = b"""<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
      <circle cx="50" cy="50" r="10" fill="#ff0000"/></svg>"""
    picture = VectorPicture(sanitise(logo, LIMITS), LIMITS)
    options = replace(spec(200, 200, fit="inside"), trim=1)
    _, content = decode_still(picture, options)
    # rendered at 200x200 only, the circle would be 40 px across and then blurred up fivefold
    assert content[2] - content[0] >= 200
    assert content[3] - content[1] >= 200
    assert raster(logo, width=200, height=200).getpixel((100, 100)) == (255, 0, 0, 255)
