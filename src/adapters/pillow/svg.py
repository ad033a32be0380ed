"""Sanitising SVG originals, failing closed.

The document is parsed with defusedxml (no entity declarations, no external resources), then
rebuilt from an allow-list: only SVG elements that draw, and only references that stay inside
the document (`#id`) or embed a small raster (`data:image/png|jpeg|gif|webp;base64`). Scripts,
event handlers, `foreignObject`, animation (which can rewrite `href`), external `href`s, CSS
`url()`s to anything but `#id`, `@import`, and CSS escapes (which could spell any of these) are
dropped, and so are `xml:base` and the filter primitives whose cost grows with a parameter
(`feMorphology` radius, `feConvolveMatrix` order, `feTurbulence` octaves). Limits on bytes,
depth and element count are enforced while parsing (a document is refused before it is all
in memory), limits on `<use>`/`<feImage>` expansion and on the embedded rasters' pixels after
it. Whatever cannot be parsed is `DecodeFailed`.

The document also gets a paint weight: its elements after expansion, each weighted by what
painting it costs in resvg (measured: a flat fill 1; a gradient, pattern, mask, clip or group
opacity about `EFFECT_WEIGHT`; a filter about `FILTER_WEIGHT`). The rasteriser caps its
canvas so that weight x pixels stays within `PAINT_BUDGET`, a couple of seconds; the deadline
of the rasterising process bounds whatever this estimate misses.
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
MAX_EXPANDED_ELEMENTS = 100_000  # after every <use> is replaced by what it references
# pixels x weight resvg may paint: about eight seconds if every element covered the canvas
PAINT_BUDGET = 3_000_000_000
EFFECT_WEIGHT = 100  # an off-screen layer or a paint server instead of a flat fill
FILTER_WEIGHT = 500  # a filter region, several passes over it per primitive
MIN_CANVAS_PIXELS = 256 * 256
_PARSE_CHUNK = 64 * 1024
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
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
    }
)
_EMBEDDING_ELEMENTS = frozenset({"image", "feImage"})
_REFERENCING_ELEMENTS = frozenset({"image", "feImage", "use"})
_EXPANDING_ELEMENTS = frozenset({"use", "feImage"})  # paint the element they reference
_XML_ATTRIBUTES = frozenset({"lang", "space"})  # xml:base would re-root every reference
_FILTERING = re.compile(r"(?<![\w-])filter\s*:", re.IGNORECASE)
_EFFECTS = re.compile(r"url\(|(?<![\w-])(?:opacity|mask|clip-path)\s*:", re.IGNORECASE)
_EFFECT_ATTRIBUTES = frozenset({"opacity", "mask", "clip-path"})
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
# unambiguous on purpose: `[0-9]*\.?[0-9]+` backtracks quadratically on a long digit run
_LENGTH = re.compile(
    r"((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?"
)
_MAX_LENGTH_TEXT = 64
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
    """A sanitised SVG: its serialised bytes, its intrinsic size in CSS pixels, and its paint
    weight (its elements after expansion, each weighted by its cost to paint)."""

    data: bytes
    size: Size
    weight: int = 1

    @property
    def max_canvas_pixels(self) -> int:
        """The largest canvas it may be painted on within `PAINT_BUDGET`."""
        return max(MIN_CANVAS_PIXELS, PAINT_BUDGET // max(1, self.weight))


@dataclass(slots=True)
class _Costs:
    """What each kept element costs, noted while cleaning (keyed by `id(element)`)."""

    weights: dict[int, int]
    raster_pixels: dict[int, int]


def sanitise(data: bytes, limits: SourceLimits) -> SvgDocument:
    """The safe subset of the SVG in `data`; raises a `ProcessingError` when there is none."""
    if len(data) > MAX_SVG_BYTES:
        raise DecompressionBomb(f"the SVG is {len(data)} bytes, above {MAX_SVG_BYTES}")
    root = _parse(data)
    if root.tag != f"{{{SVG_NS}}}svg":
        raise NotAnImage("the XML document is not an SVG (root element in the SVG namespace)")
    costs = _clean(root, limits)
    weight = _check_expansion(root, costs, limits)
    size = intrinsic_size(root)
    return SvgDocument(_serialised(root), size, weight)


class _BoundedTreeBuilder(ET.TreeBuilder):
    """Builds the tree, refusing it as soon as it nests too deep or grows too many elements."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self._depth += 1
        self._elements += 1
        if self._depth > MAX_DEPTH:
            raise DecompressionBomb(f"the SVG nests deeper than {MAX_DEPTH} elements")
        if self._elements > MAX_ELEMENTS:
            raise DecompressionBomb(f"the SVG has more than {MAX_ELEMENTS} elements")
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self._depth -= 1
        return super().end(tag)


def _parse(data: bytes) -> ET.Element:
    parser = SafeET.DefusedXMLParser(
        target=_BoundedTreeBuilder(),
        forbid_dtd=False,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        for start in range(0, len(data), _PARSE_CHUNK):
            parser.feed(data[start : start + _PARSE_CHUNK])
        root: ET.Element = parser.close()
    except ProcessingError:
        raise
    except Exception as exc:  # defusedxml's refusals and expat's syntax errors alike
        raise DecodeFailed(f"the SVG could not be parsed safely: {exc}") from exc
    return root


def _clean(root: ET.Element, limits: SourceLimits) -> _Costs:
    costs = _Costs({}, {})
    _clean_attributes(root, limits, costs)
    stack = [root]
    while stack:
        element = stack.pop()
        for child in list(element):
            if _kept(child, limits, costs):
                stack.append(child)
            else:
                element.remove(child)
    sheets = " ".join(style.text or "" for style in root.iter(f"{{{SVG_NS}}}style"))
    if _FILTERING.search(sheets) or _EFFECTS.search(sheets):
        # a style sheet can give any element the effect: count every one as if it had it
        heaviest = FILTER_WEIGHT if _FILTERING.search(sheets) else EFFECT_WEIGHT
        costs.weights = dict.fromkeys(costs.weights, heaviest)
    return costs


def _kept(element: ET.Element, limits: SourceLimits, costs: _Costs) -> bool:
    """Whether `element` stays (its attributes cleaned on the way)."""
    namespace, name = _split(element.tag)
    if namespace != SVG_NS or name not in _ALLOWED_ELEMENTS:
        return False
    if name == "style" and not _style_safe(element.text or ""):
        return False
    _clean_attributes(element, limits, costs)
    # an element that shows another resource goes with its unsafe reference
    return name not in _REFERENCING_ELEMENTS or "href" in element.attrib


def _clean_attributes(element: ET.Element, limits: SourceLimits, costs: _Costs) -> None:
    embeds = _split(element.tag)[1] in _EMBEDDING_ELEMENTS
    for key, value in list(element.attrib.items()):
        del element.attrib[key]
        namespace, name = _split(key)
        if name == "href" and namespace in ("", XLINK_NS):
            # kept as plain `href` (SVG 2): the output then needs no xlink namespace
            pixels = _href_pixels(value, embeds, limits)
            if pixels is not None:
                element.set("href", value)
                costs.raster_pixels[id(element)] = pixels
        elif _attribute_allowed(namespace, name, value):
            element.set(key, value)
    costs.weights[id(element)] = _paint_weight(element.attrib)


def _paint_weight(attributes: dict[str, str]) -> int:
    """What painting an element with these (cleaned) attributes costs, in flat fills."""
    style = attributes.get("style", "")
    if "filter" in attributes or _FILTERING.search(style):
        return FILTER_WEIGHT
    painted = " ".join((style, attributes.get("fill", ""), attributes.get("stroke", "")))
    if _EFFECT_ATTRIBUTES & attributes.keys() or _EFFECTS.search(painted):
        return EFFECT_WEIGHT
    return 1


def _attribute_allowed(namespace: str, name: str, value: str) -> bool:
    if namespace == XML_NS:
        return name in _XML_ATTRIBUTES
    if namespace:
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


def _href_pixels(value: str, embeds: bool, limits: SourceLimits) -> int | None:
    """None when the reference must go; else the pixels it embeds (0 for a `#fragment`)."""
    value = value.strip()
    if _FRAGMENT.fullmatch(value):
        return 0
    match = _DATA_IMAGE.fullmatch(value)
    if not embeds or match is None:
        return None
    return _embedded_raster_pixels(match.group(1), limits)


def _embedded_raster_pixels(payload: str, limits: SourceLimits) -> int | None:
    """An embedded raster's pixels: it must be what it says and within the pixel limit (resvg
    decodes it); None when it is not a raster we allow."""
    try:
        raster = base64.b64decode("".join(payload.split()), validate=True)
        kind = sniff(raster)
    except (binascii.Error, ValueError, ProcessingError):
        return None
    if kind not in _EMBEDDABLE:
        return None
    with decoding():
        header = Image.open(io.BytesIO(raster), formats=[kind.value])
    size = Size(header.width, header.height)
    limits.check(size, 1)
    return size.pixels


def _serialised(root: ET.Element) -> bytes:
    """The document with every element in the default SVG namespace (no prefixes)."""
    for element in root.iter():
        element.tag = _split(element.tag)[1]
    root.set("xmlns", SVG_NS)
    serialised: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return serialised


@dataclass(frozen=True, slots=True)
class _Expanded:
    """A subtree's cost once every reference is replaced by what it references."""

    elements: int
    weight: int
    raster_pixels: int

    def __add__(self, other: _Expanded) -> _Expanded:
        return _Expanded(
            self.elements + other.elements,
            self.weight + other.weight,
            self.raster_pixels + other.raster_pixels,
        )


_IN_PROGRESS = _Expanded(-1, -1, -1)


def _check_expansion(root: ET.Element, costs: _Costs, limits: SourceLimits) -> int:
    """Refuse documents whose `<use>`/`<feImage>` references multiply into too many elements
    or embedded pixels; answer the expanded paint weight."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    total = _expanded(root, by_id, costs, {}, 0)
    if total.elements > MAX_EXPANDED_ELEMENTS:
        raise DecompressionBomb("the SVG's references expand to too many elements")
    if total.raster_pixels > limits.max_source_pixels:
        raise DecompressionBomb("the SVG's embedded images hold too many pixels")
    return total.weight


def _expanded(
    element: ET.Element,
    by_id: dict[str | None, ET.Element],
    costs: _Costs,
    memo: dict[int, _Expanded],
    depth: int,
) -> _Expanded:
    key = id(element)
    known = memo.get(key)
    if known is _IN_PROGRESS:
        raise DecodeFailed("the SVG's references form a cycle")
    if known is not None:
        return known
    if depth > 3 * MAX_DEPTH:  # also keeps this recursion far from Python's limit
        raise DecompressionBomb("the SVG's references are nested too deeply")
    memo[key] = _IN_PROGRESS  # meeting it again below is a cycle
    total = _Expanded(1, costs.weights.get(key, 1), costs.raster_pixels.get(key, 0))
    for child in element:
        total += _expanded(child, by_id, costs, memo, depth + 1)
    if _split(element.tag)[1] in _EXPANDING_ELEMENTS:
        target = by_id.get((_href(element) or "").lstrip("#"))
        if target is not None:
            total += _expanded(target, by_id, costs, memo, depth + 1)
    memo[key] = _capped(total)
    return memo[key]


def _capped(total: _Expanded) -> _Expanded:
    """Past the limits the exact size no longer matters; capping keeps the sums small."""
    return _Expanded(
        min(total.elements, MAX_EXPANDED_ELEMENTS + 1),
        min(total.weight, (MAX_EXPANDED_ELEMENTS + 1) * FILTER_WEIGHT),
        min(total.raster_pixels, 1 << 62),
    )


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
    text = (text or "").strip()
    match = _LENGTH.fullmatch(text) if len(text) <= _MAX_LENGTH_TEXT else None
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
