"""The whole transformation, synchronous: bytes and a spec in, a Rendition out.

Order (spec §1): sniff; decode upright (JPEG shrunk by DCT scaling while decoding, SVG rendered
at the needed size); trim; resize, crop or pad as the fit says; encode. Everything here is
plain blocking code so it can run in an executor and be benchmarked directly.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain

from PIL import Image

from adapters.pillow.encode import encode
from adapters.pillow.focus import focus
from adapters.pillow.geometry import Layout, Size, check_output, fitted, layout, with_window_at
from adapters.pillow.guards import SourceLimits
from adapters.pillow.picture import Frame, Picture
from adapters.pillow.raster import RasterPicture
from adapters.pillow.sniff import SourceFormat, sniff
from adapters.pillow.svg import sanitise
from adapters.pillow.trim import BoundingBox, content_box, trim_box, union
from adapters.pillow.vector import VectorPicture
from application.errors import OutputTooLarge
from application.ports.image_processor import Rendition
from domain.formats import OutputFormat
from domain.transform import Background, Fit, TransformSpec

# Pillow reduces by whole factors first while the remaining resample still has at least this
# much headroom: most of the speed of a box shrink with Lanczos quality at the end.
REDUCING_GAP = 3.0


def render(original: bytes, spec: TransformSpec, limits: SourceLimits) -> Rendition:
    """Render `spec` from `original`; bad bytes only ever raise a `ProcessingError`."""
    kind = sniff(original)
    if kind is SourceFormat.SVG:
        document = sanitise(original, limits)
        if spec.format is OutputFormat.SVG:
            return Rendition(document.data, OutputFormat.SVG)
        return render_picture(VectorPicture(document, limits), spec, limits)
    return render_picture(RasterPicture(original, kind, limits), spec, limits)


def render_picture(picture: Picture, spec: TransformSpec, limits: SourceLimits) -> Rendition:
    """Render an opened original: animated when both it and the output format can be."""
    if spec.trim == 0:
        # known from the header already: refuse before paying for the decode
        check_output(layout(picture.size, spec.box, spec.fit, spec.position.gravity))
    if picture.frame_count > 1 and spec.format.can_animate:
        return _render_animation(picture, spec, limits)
    image, content = decode_still(picture, spec)
    plan = plan_layout(image, content, spec)
    return encode([Frame(apply_layout(image, content, plan, spec.background))], None, spec)


def decode_still(picture: Picture, spec: TransformSpec) -> tuple[Image.Image, BoundingBox]:
    """The first frame, decoded no larger than the result needs, and its box after trimming.

    The decode is sized for the untrimmed image; when trimming then leaves too few pixels for
    the result (a large margin went), it is decoded again at the size the content needs.
    """
    image = picture.still(fitted(picture.size, spec.box, spec.fit))
    content = trim_box(image, spec.background, spec.trim)
    decoded = Size(image.width, image.height)
    wanted = _needed_decode(decoded, content, spec)
    if wanted.fits_within(decoded) or not picture.has_more_detail_than(decoded):
        return image, content
    sharper = picture.still(wanted)
    return sharper, trim_box(sharper, spec.background, spec.trim)


def _needed_decode(decoded: Size, content: BoundingBox, spec: TransformSpec) -> Size:
    """The decoded size at which `content` is scaled down or kept, never magnified."""
    plan = layout(_box_size(content), spec.box, spec.fit, (0.5, 0.5))
    scale_x, scale_y = plan.scale
    return decoded.scaled(scale_x, scale_y)


def plan_layout(image: Image.Image, content: BoundingBox, spec: TransformSpec) -> Layout:
    """The layout of `content` for the spec, its cover window placed by content when asked."""
    plan = layout(_box_size(content), spec.box, spec.fit, spec.position.gravity)
    check_output(plan)
    if spec.fit is not Fit.COVER or not spec.position.is_content_aware:
        return plan
    window = (plan.region.width, plan.region.height)
    left, top = focus(image.crop(content), window, spec.position)
    return with_window_at(plan, left, top)


def apply_layout(
    image: Image.Image, content: BoundingBox, plan: Layout, background: Background
) -> Image.Image:
    """Scale the planned region of `image` (inside `content`) and pad it onto the canvas."""
    if content != (0, 0, image.width, image.height):
        # cut the trimmed margins off first: the resampling filter reads pixels beyond its
        # box, and the trimmed colour must not bleed into the edges as a halo
        image = image.crop(content)
    region = plan.region
    untouched = region.corners == (0, 0, image.width, image.height)
    if untouched and plan.scaled == Size(image.width, image.height):
        scaled = image
    else:
        scaled = image.resize(
            (plan.scaled.width, plan.scaled.height),
            Image.Resampling.LANCZOS,
            box=region.corners,
            reducing_gap=REDUCING_GAP,
        )
    if plan.canvas == plan.scaled:
        return scaled
    return _padded(scaled, plan, background)


def _padded(image: Image.Image, plan: Layout, background: Background) -> Image.Image:
    if image.mode == "RGBA" or background.alpha < 255:
        canvas = Image.new("RGBA", (plan.canvas.width, plan.canvas.height), background.rgba)
    else:
        canvas = Image.new("RGB", (plan.canvas.width, plan.canvas.height), background.rgba[:3])
    # a plain paste: the image's own transparency is kept, only the padding is background
    canvas.paste(image, plan.offset)
    return canvas


def _render_animation(picture: Picture, spec: TransformSpec, limits: SourceLimits) -> Rendition:
    """Every frame gets the same trim, crop and scale (planned on the first); timing is kept."""
    content = _animation_content(picture, spec)
    frames = picture.frames()
    first = next(frames)
    plan = plan_layout(first.image, content, spec)
    if picture.frame_count * plan.canvas.pixels > limits.max_animation_pixels:
        raise OutputTooLarge(f"{picture.frame_count} frames of {plan.canvas} are too many pixels")
    rendered = [
        replace(frame, image=apply_layout(frame.image, content, plan, spec.background))
        for frame in chain([first], frames)
    ]
    return encode(rendered, picture.loop, spec)


def _animation_content(picture: Picture, spec: TransformSpec) -> BoundingBox:
    """The trim box holding every frame's content (frames are decoded once more for it)."""
    whole = (0, 0, picture.size.width, picture.size.height)
    if spec.trim == 0:
        return whole
    found: BoundingBox | None = None
    for frame in picture.frames():
        found = union(found, content_box(frame.image, spec.background, spec.trim))
    return found or whole


def _box_size(box: BoundingBox) -> Size:
    return Size(box[2] - box[0], box[3] - box[1])
