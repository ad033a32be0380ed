"""ThumbHash (domain) and the Pillow describer: placeholders that decode back to the image's
shape and colour, and the facts of real originals (EXIF rotation, animation, alpha)."""

from __future__ import annotations

import io
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageDraw

from adapters.pillow import SourceLimits
from adapters.pillow.describe import PillowImageDescriber, describe
from application.errors import DecompressionBomb, NotAnImage
from domain import thumbhash
from tests.support import images

LIMITS = SourceLimits()


def halves(width: int, height: int) -> Image.Image:
    """Red left half, blue right half: average (125, 30, 115)."""
    image = Image.new("RGBA", (width, height), (30, 30, 200, 255))
    ImageDraw.Draw(image).rectangle([0, 0, width // 2 - 1, height], fill=(220, 30, 30, 255))
    return image


def decoded_average(decoded: thumbhash.Decoded) -> tuple[float, float, float, float]:
    """The alpha-weighted average colour of a decoded placeholder, each channel 0..1."""
    pixels = [decoded.rgba[i : i + 4] for i in range(0, len(decoded.rgba), 4)]
    alpha = sum(pixel[3] for pixel in pixels) / 255
    weighted = [sum(pixel[c] * pixel[3] for pixel in pixels) / 255 / 255 for c in range(3)]
    return (*(value / alpha for value in weighted), alpha / len(pixels))


@pytest.mark.parametrize(
    ("width", "height"), [(100, 100), (100, 75), (75, 100), (100, 50), (40, 100), (100, 40)]
)
def test_a_thumbhash_decodes_to_the_aspect_ratio_and_average_colour(
    width: int, height: int
) -> None:
    image = halves(width, height)

    hash_ = thumbhash.encode(width, height, image.tobytes())
    decoded = thumbhash.decode(hash_)

    assert len(hash_) <= 25
    # the hash keeps the aspect to about one part in seven (its luminance grid is at most 7)
    assert math.isclose(decoded.width / decoded.height, width / height, rel_tol=0.16)
    assert (decoded.width > decoded.height) == (width > height)
    r, g, b, a = decoded_average(decoded)
    true_r = (220 * (width // 2) + 30 * (width - width // 2)) / width / 255
    true_b = (30 * (width // 2) + 200 * (width - width // 2)) / width / 255
    assert (r, g, b) == pytest.approx((true_r, 30 / 255, true_b), abs=0.06)
    assert a == pytest.approx(1.0, abs=0.02)
    assert thumbhash.average_rgba(hash_)[:3] == pytest.approx((true_r, 30 / 255, true_b), abs=0.04)


def test_a_transparent_image_keeps_its_alpha_and_colour() -> None:
    image = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([20, 20, 59, 59], fill=(20, 200, 20, 255))  # a quarter

    hash_ = thumbhash.encode(80, 80, image.tobytes())
    r, g, b, a = decoded_average(thumbhash.decode(hash_))

    assert hash_[2] & 0x80  # the alpha flag
    assert (r, g, b) == pytest.approx((20 / 255, 200 / 255, 20 / 255), abs=0.08)
    assert a == pytest.approx(0.25, abs=0.08)
    assert thumbhash.average_rgba(hash_)[3] == pytest.approx(0.25, abs=0.08)


def test_a_solid_colour_is_its_own_average() -> None:
    hash_ = thumbhash.encode(10, 10, bytes((250, 120, 10, 255)) * 100)

    r, g, b, _ = decoded_average(thumbhash.decode(hash_))

    assert (r, g, b) == pytest.approx((250 / 255, 120 / 255, 10 / 255), abs=0.04)


@pytest.mark.parametrize(("width", "height"), [(101, 10), (0, 10), (10, 0)])
def test_the_encoder_refuses_sizes_outside_100x100(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        thumbhash.encode(width, height, bytes(max(width * height, 0) * 4))


def rotated_jpeg(width: int, height: int, orientation: int) -> bytes:
    """A JPEG stored `width` x `height` whose EXIF says to rotate it (6: 90 degrees)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return images.encode(halves(width, height).convert("RGB"), "JPEG", exif=exif.tobytes())


def animated_gif(frames: int = 3) -> bytes:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    shots = [Image.new("RGB", (60, 40), colours[i % 3]) for i in range(frames)]
    buffer = io.BytesIO()
    shots[0].save(buffer, "GIF", save_all=True, append_images=shots[1:], duration=80, loop=0)
    return buffer.getvalue()


def test_the_describer_reports_the_upright_size_of_a_rotated_jpeg() -> None:
    facts = describe(rotated_jpeg(300, 200, orientation=6), LIMITS)

    assert (facts.width, facts.height) == (200, 300)
    assert (facts.format, facts.frames, facts.has_alpha) == ("jpeg", 1, False)
    assert thumbhash.aspect_ratio(facts.thumbhash) < 1  # the placeholder is upright too
    assert facts.preview_png.startswith(b"\x89PNG")
    preview = images.open_image(facts.preview_png)
    assert max(preview.size) <= 16
    assert preview.width < preview.height


def test_the_describer_counts_frames_and_finds_alpha() -> None:
    gif = describe(animated_gif(3), LIMITS)
    png = describe(images.png_with_alpha(400, 200), LIMITS)

    assert (gif.format, gif.frames, gif.width, gif.height) == ("gif", 3, 60, 40)
    assert gif.dominant_color == "#ff0000"
    assert (png.format, png.has_alpha, png.width, png.height) == ("png", True, 400, 200)
    assert png.dominant_color == "#14c814"  # the opaque green square; the margin is clear
    assert images.open_image(png.preview_png).mode == "RGBA"


def test_the_dominant_colour_is_the_largest_area() -> None:
    image = Image.new("RGB", (100, 100), (250, 250, 250))
    ImageDraw.Draw(image).rectangle([0, 0, 39, 99], fill=(10, 20, 160))  # 40 % blue

    facts = describe(images.encode(image, "PNG"), LIMITS)

    assert facts.dominant_color == "#fafafa"
    assert facts.has_alpha is False


def test_bad_bytes_and_bombs_are_processing_errors() -> None:
    with pytest.raises(NotAnImage):
        describe(b"<!doctype html><html>hello</html>", LIMITS)
    with pytest.raises(DecompressionBomb):
        describe(images.png_bomb(), LIMITS)


def test_the_adapter_describes_off_the_event_loop() -> None:
    import asyncio

    with ThreadPoolExecutor(1, thread_name_prefix="describe-test") as pool:
        describer = PillowImageDescriber(pool, LIMITS)
        facts = asyncio.run(describer.describe(images.jpeg(120, 80)))
        with pytest.raises(NotAnImage):
            asyncio.run(describer.describe(b"nothing"))

    assert (facts.width, facts.height, facts.format) == (120, 80, "jpeg")
