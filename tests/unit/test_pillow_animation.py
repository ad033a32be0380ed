"""Animated originals through the Pillow pipeline: frames, timing and the same geometry for all."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from adapters.pillow import SourceLimits
from adapters.pillow.pipeline import render
from application.errors import OutputTooLarge
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec
from tests.support.images import encode, open_image

COLOURS = [(220, 30, 30), (30, 200, 30), (30, 60, 200), (240, 200, 20)]
DURATIONS = [100, 200, 300, 400]


def spec(width: int, height: int, fmt: str, *, trim: int = 0, fit: str = "cover") -> TransformSpec:
    return TransformSpec(
        box=Box(width, height),
        fit=Fit(fit),
        position=Position.LEFT,
        background=Background.parse("FFFFFF"),
        trim=trim,
        quality=90,
        format=OutputFormat(fmt),
    )


def animated_gif(**options: object) -> bytes:
    """Four 120x80 frames, each a different colour with a white right half."""
    frames = []
    for colour in COLOURS:
        frame = Image.new("RGB", (120, 80), colour)
        ImageDraw.Draw(frame).rectangle((60, 0, 119, 79), fill=(255, 255, 255))
        frames.append(frame)
    return encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=DURATIONS, **options
    )


def frames_of(data: bytes) -> list[tuple[Image.Image, int]]:
    image = open_image(data)
    found = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        found.append((image.convert("RGB"), int(image.info.get("duration", 0))))
    return found


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


@pytest.mark.parametrize("fmt", ["gif", "webp", "png", "avif"])
def test_an_animation_stays_animated_with_every_frame_cropped_alike(fmt: str) -> None:
    rendition = render(animated_gif(loop=0), spec(40, 80, fmt), SourceLimits())
    frames = frames_of(rendition.data)
    assert rendition.format is OutputFormat(fmt)
    assert [duration for _, duration in frames] == DURATIONS
    for (image, _), colour in zip(frames, COLOURS, strict=True):
        assert image.size == (40, 80)
        # `left` kept the coloured half of every frame
        assert near(image.getpixel((20, 40)), colour)


def test_the_loop_count_is_kept() -> None:
    looping = open_image(render(animated_gif(loop=0), spec(60, 40, "gif"), SourceLimits()).data)
    once = open_image(render(animated_gif(), spec(60, 40, "gif"), SourceLimits()).data)
    assert looping.info.get("loop") == 0
    assert "loop" not in once.info


def test_an_animation_asked_as_jpeg_is_its_first_frame() -> None:
    rendition = render(animated_gif(loop=0), spec(40, 80, "jpeg"), SourceLimits())
    frames = frames_of(rendition.data)
    assert rendition.format is OutputFormat.JPEG
    assert len(frames) == 1
    assert near(frames[0][0].getpixel((20, 40)), COLOURS[0])


def test_trim_of_an_animation_keeps_what_any_frame_shows() -> None:
    frames = []
    for x in (10, 70):  # a block moving right over a white background
        frame = Image.new("RGB", (120, 80), (255, 255, 255))
        ImageDraw.Draw(frame).rectangle((x, 20, x + 29, 49), fill=(30, 60, 200))
        frames.append(frame)
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    rendition = render(gif, spec(0, 0, "gif", trim=10), SourceLimits())
    assert [image.size for image, _ in frames_of(rendition.data)] == [(90, 30), (90, 30)]


def test_an_animation_too_large_in_total_is_refused() -> None:
    limits = SourceLimits(max_animation_pixels=4 * 120 * 80)
    with pytest.raises(OutputTooLarge):
        render(animated_gif(), spec(240, 160, "webp"), limits)
