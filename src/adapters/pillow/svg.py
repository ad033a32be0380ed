"""Sanitising SVG originals, failing closed.

The document is parsed with defusedxml (no entity declarations, no external resources), then
rebuilt from an allow-list: only SVG elements that draw, and only references that stay inside
the document (`#id`) or embed a small raster (`data:image/png|jpeg|gif|webp;base64`). Scripts,
event handlers, `foreignObject`, animation (which can rewrite `href`), external `href`s, CSS
`url()`s to anything but `#id`, `@import`, and CSS escapes (which could spell any of these) are
dropped. Limits on bytes, depth, element count and `<use>` expansion refuse billion-laughs
shaped documents that need no entities. Whatever cannot be parsed is `DecodeFailed`.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import xml.etree.ElementTree as ET  # serialising only: parsing goes through defusedxml
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from PIL import Image

from adapters.pillow.geometry import Size
from adapters.pillow.guards import SourceLimits, decoding
from adapters.pillow.sniff import SourceFormat, sniff
from application.errors import DecodeFailed, DecompressionBomb, NotAnImage, ProcessingError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

MAX_SVG_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 100
MAX_ELEMENTS = 50_000
MAX_EXPANDED_ELEMENTS = 250_000  # after every <use> is replaced by what it references
MAX_INTRINSIC_LENGTH = 1_000_000.0
DEFAULT_SIZE = Size(300, 150)  # a replaced element's size when the SVG names none (CSS)

_ALLOWED_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "title",
        "desc",
        "switch",
        "a",
        "view",
        "style",
        "marker",
        "clipPath",
        "mask",
        "pattern",
        "image",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "linearGradient",
        "radialGradient",
        "stop",
        "filter",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feImage",
        "feMerge",
        "feMergeNode",
        "feMorphology",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
    }
)
_EMBEDDING_ELEMENTS = frozenset({"image", "feImage"})
_REFERENCING_ELEMENTS = frozenset({"image", "feImage", "use"})
_FRAGMENT = re.compile(r"#[A-Za-z_][\w.:-]*")
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,([A-Za-z0-9+/=\s]*)")
_EMBEDDABLE = {SourceFormat.PNG, SourceFormat.JPEG, SourceFormat.GIF, SourceFormat.WEBP}
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
# escapes could spell anything; the rest run code or fetch without `url()` (image-set)
_CSS_FORBIDDEN = (
    "\\",
    "javascript:",
    "vbscript:",
    "expression(",
    "-moz-binding",
    "behavior",
    "image-set",
)
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*")
_UNIT_PX = {
    None: 1.0,
    "px": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
}


@dataclass(frozen=True, slots=True)
class SvgDocument:
    """A sanitised SVG: its serialised bytes and its intrinsic size in CSS pixels."""

    data: bytes
    size: Size


def sanitise(data: bytes, limits: SourceLimits) -> SvgDocument:
    """The safe subset of the SVG in `data`; raises a `ProcessingError` when there is none."""
    if len(data) > MAX_SVG_BYTES:
        raise DecompressionBomb(f"the SVG is {len(data)} bytes, above {MAX_SVG_BYTES}")
    root = _parse(data)
    if root.tag != f"{{{SVG_NS}}}svg":
        raise NotAnImage("the XML document is not an SVG (root element in the SVG namespace)")
    _check_shape(root)
    _clean(root, limits)
    _check_expansion(root)
    size = intrinsic_size(root)
    return SvgDocument(_serialised(root), size)


def _parse(data: bytes) -> ET.Element:
    try:
        root: ET.Element = SafeET.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except Exception as exc:  # defusedxml's refusals and expat's syntax errors alike
        raise DecodeFailed(f"the SVG could not be parsed safely: {exc}") from exc
    return root


def _check_shape(root: ET.Element) -> None:
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_ELEMENTS:
            raise DecompressionBomb("the SVG is nested too deeply or has too many elements")
        stack.extend((child, depth + 1) for child in element)


def _clean(root: ET.Element, limits: SourceLimits) -> None:
    _clean_attributes(root, limits)
    stack = [root]
    while stack:
        element = stack.pop()
        for child in list(element):
            if _kept(child, limits):
                stack.append(child)
            else:
                element.remove(child)


def _kept(element: ET.Element, limits: SourceLimits) -> bool:
    """Whether `element` stays (its attributes cleaned on the way)."""
    namespace, name = _split(element.tag)
    if namespace != SVG_NS or name not in _ALLOWED_ELEMENTS:
        return False
    if name == "style" and not _style_safe(element.text or ""):
        return False
    _clean_attributes(element, limits)
    # an element that shows another resource goes with its unsafe reference
    return name not in _REFERENCING_ELEMENTS or "href" in element.attrib


def _clean_attributes(element: ET.Element, limits: SourceLimits) -> None:
    embeds = _split(element.tag)[1] in _EMBEDDING_ELEMENTS
    for key, value in list(element.attrib.items()):
        del element.attrib[key]
        namespace, name = _split(key)
        if name == "href" and namespace in ("", XLINK_NS):
            # kept as plain `href` (SVG 2): the output then needs no xlink namespace
            if _href_allowed(value, embeds, limits):
                element.set("href", value)
        elif _attribute_allowed(namespace, name, value):
            element.set(key, value)


def _attribute_allowed(namespace: str, name: str, value: str) -> bool:
    if namespace not in ("", XML_NS):
        return False
    return not name.lower().startswith("on") and _css_safe(value)


def _style_safe(css: str) -> bool:
    return _css_safe(css) and "@import" not in css.lower()


def _css_safe(text: str) -> bool:
    """No escapes or scriptable CSS, and every `url()` points inside the document."""
    lowered = text.lower()
    if any(marker in lowered for marker in _CSS_FORBIDDEN):
        return False
    return all(target.startswith("#") for target in _CSS_URL.findall(text))


def _href(element: ET.Element) -> str | None:
    return element.get("href", element.get(f"{{{XLINK_NS}}}href"))


def _href_allowed(value: str, embeds: bool, limits: SourceLimits) -> bool:
    value = value.strip()
    if _FRAGMENT.fullmatch(value):
        return True
    match = _DATA_IMAGE.fullmatch(value)
    return embeds and match is not None and _embedded_raster_allowed(match.group(1), limits)


def _embedded_raster_allowed(payload: str, limits: SourceLimits) -> bool:
    """An embedded raster must be what it says and within the pixel limit (resvg decodes it)."""
    try:
        raster = base64.b64decode("".join(payload.split()), validate=True)
        kind = sniff(raster)
    except (binascii.Error, ValueError, ProcessingError):
        return False
    if kind not in _EMBEDDABLE:
        return False
    with decoding():
        header = Image.open(io.BytesIO(raster), formats=[kind.value])
    limits.check(Size(header.width, header.height), 1)
    return True


def _serialised(root: ET.Element) -> bytes:
    """The document with every element in the default SVG namespace (no prefixes)."""
    for element in root.iter():
        element.tag = _split(element.tag)[1]
    root.set("xmlns", SVG_NS)
    serialised: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return serialised


def _check_expansion(root: ET.Element) -> None:
    """Refuse documents whose `<use>` references multiply into too many elements."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    expanded: dict[int, int] = {}
    if _expanded_count(root, by_id, expanded, 0) > MAX_EXPANDED_ELEMENTS:
        raise DecompressionBomb("the SVG's <use> references expand to too many elements")


def _expanded_count(
    element: ET.Element, by_id: dict[str | None, ET.Element], memo: dict[int, int], depth: int
) -> int:
    key = id(element)
    if key in memo:
        if memo[key] < 0:
            raise DecodeFailed("the SVG's <use> references form a cycle")
        return memo[key]
    if depth > 3 * MAX_DEPTH:  # also keeps this recursion far from Python's limit
        raise DecompressionBomb("the SVG's <use> references are nested too deeply")
    memo[key] = -1  # in progress: meeting it again below is a cycle
    total = 1
    for child in element:
        total += _expanded_count(child, by_id, memo, depth + 1)
    if _split(element.tag)[1] == "use":
        target = by_id.get((_href(element) or "").lstrip("#"))
        total += _expanded_count(target, by_id, memo, depth + 1) if target is not None else 0
    memo[key] = min(total, MAX_EXPANDED_ELEMENTS + 1)
    return memo[key]


def intrinsic_size(root: ET.Element) -> Size:
    """The size the SVG asks for: width/height, completed or replaced by the viewBox."""
    width, height = _length(root.get("width")), _length(root.get("height"))
    view_box = _view_box(root.get("viewBox"))
    if view_box is not None:
        aspect = view_box[0] / view_box[1]
        if width is None and height is None:
            width, height = view_box
        elif height is None and width is not None:
            height = width / aspect
        elif width is None and height is not None:
            width = height * aspect
    width = width if width is not None else DEFAULT_SIZE.width
    height = height if height is not None else DEFAULT_SIZE.height
    return Size(_whole_pixels(width), _whole_pixels(height))


def _whole_pixels(length: float) -> int:
    # absurd sizes (1e400 is infinite) are clamped: the render size is capped by the limits
    return max(1, round(min(length, MAX_INTRINSIC_LENGTH)))


def _length(text: str | None) -> float | None:
    """A length in CSS pixels; None for a missing, relative (%, em) or zero length."""
    match = _LENGTH.fullmatch(text or "")
    if match is None:
        return None
    value = float(match.group(1)) * _UNIT_PX[match.group(2)]
    return value if 0 < value < math.inf else None


def _view_box(text: str | None) -> tuple[float, float] | None:
    parts = re.split(r"[\s,]+", (text or "").strip())
    try:
        width, height = float(parts[2]), float(parts[3])
    except (IndexError, ValueError):
        return None
    finite = 0 < width < math.inf and 0 < height < math.inf
    return (width, height) if finite else None


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag
