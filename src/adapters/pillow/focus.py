"""Content-aware cropping: where a cover crop keeps the busiest or the most salient region.

Both strategies slide the crop window along the one axis being cropped, over a copy at most
`ANALYSIS_SIDE` pixels long (scoring is about layout, not detail, and must stay cheap):

- entropy: the window whose greyscale histogram has the highest Shannon entropy;
- attention: the window holding the most saliency, scored per pixel as edge strength,
  colour saturation and skin-like chroma (the cues sharp's `attention` strategy uses),
  with transparent pixels counting for nothing.

Ties go to the window nearest the centre.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from domain.transform import Position

ANALYSIS_SIDE = 256
MAX_CANDIDATES = 64

# weights of edges, saturation and skin in the saliency score
_SALIENCY_WEIGHTS = (0.45, 0.35, 0.2, 0.0)
# skin chroma in YCbCr (Chai & Ngan): Cb 77..127, Cr 133..173
_SKIN_CB = [255 if 77 <= value <= 127 else 0 for value in range(256)]
_SKIN_CR = [255 if 133 <= value <= 173 else 0 for value in range(256)]

Scorer = Callable[[Image.Image, int, int, Sequence[int]], list[float]]


def focus(
    image: Image.Image, window: tuple[float, float], position: Position
) -> tuple[float, float]:
    """The top-left corner of the `window`-sized crop of `image` that `position` prefers."""
    horizontal = window[0] < image.width
    if not horizontal and window[1] >= image.height:
        return (0.0, 0.0)
    small = _analysis_copy(image)
    scale = small.width / image.width if horizontal else small.height / image.height
    extent = small.width if horizontal else small.height
    span = max(1, min(extent, round((window[0] if horizontal else window[1]) * scale)))
    offsets = _candidates(extent - span)
    scorer: Scorer = _entropy_scores if position is Position.ENTROPY else _attention_scores
    scores = scorer(small, 0 if horizontal else 1, span, offsets)
    best = _best(offsets, scores, (extent - span) / 2)
    # map back, clamped so rounding never slides the window past the edge
    room = (image.width - window[0]) if horizontal else (image.height - window[1])
    along = min(best / scale, room)
    return (along, 0.0) if horizontal else (0.0, along)


def _analysis_copy(image: Image.Image) -> Image.Image:
    longest = max(image.size)
    if longest <= ANALYSIS_SIDE:
        return image
    ratio = ANALYSIS_SIDE / longest
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)


def _candidates(room: int) -> list[int]:
    """Window offsets to try: every one when few, else evenly spread, both ends included."""
    if room <= MAX_CANDIDATES:
        return list(range(room + 1))
    return sorted({round(room * step / MAX_CANDIDATES) for step in range(MAX_CANDIDATES + 1)})


def _best(offsets: Sequence[int], scores: Sequence[float], centre: float) -> int:
    ranked = range(len(offsets))
    return offsets[max(ranked, key=lambda i: (round(scores[i], 6), -abs(offsets[i] - centre)))]


def _window(image: Image.Image, axis: int, offset: int, span: int) -> tuple[int, int, int, int]:
    if axis == 0:
        return (offset, 0, offset + span, image.height)
    return (0, offset, image.width, offset + span)


def _entropy_scores(
    image: Image.Image, axis: int, span: int, offsets: Sequence[int]
) -> list[float]:
    grey = image.convert("L")
    return [grey.crop(_window(grey, axis, offset, span)).entropy() for offset in offsets]


def _attention_scores(
    image: Image.Image, axis: int, span: int, offsets: Sequence[int]
) -> list[float]:
    saliency = saliency_map(image)
    # saliency is additive, so a 1-D profile along the axis scores every window by prefix sums
    flat = (saliency.width, 1) if axis == 0 else (1, saliency.height)
    profile = saliency.resize(flat, Image.Resampling.BOX).tobytes()
    sums = [0, *accumulate(profile)]
    return [float(sums[offset + span] - sums[offset]) for offset in offsets]


def saliency_map(image: Image.Image) -> Image.Image:
    """Per-pixel saliency (L mode): edges, saturation and skin tones, zero where transparent."""
    rgb = image.convert("RGB")
    edges = rgb.convert("L").filter(ImageFilter.FIND_EDGES)
    # the filter copies the outermost pixels unfiltered: they are not edges
    ImageDraw.Draw(edges).rectangle((0, 0, edges.width - 1, edges.height - 1), outline=0)
    saturation = rgb.convert("HSV").getchannel("S")
    _, chroma_blue, chroma_red = rgb.convert("YCbCr").split()
    skin = ImageChops.multiply(chroma_blue.point(_SKIN_CB), chroma_red.point(_SKIN_CR))
    cues = Image.merge("RGB", (edges, saturation, skin))
    saliency = cues.convert("L", _SALIENCY_WEIGHTS)
    if image.mode == "RGBA":
        saliency = ImageChops.multiply(saliency, image.getchannel("A"))
    return saliency
