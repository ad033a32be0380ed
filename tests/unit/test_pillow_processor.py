"""The Pillow processor on images made in code: sizes, colours, formats and failures."""

from __future__ import annotations

import asyncio
import io
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageStat

from adapters.pillow import PillowImageProcessor, SourceLimits
from adapters.pillow.geometry import Size
from adapters.pillow.pipeline import decode_still, render
from adapters.pillow.raster import RasterPicture
from adapters.pillow.sniff import SourceFormat, sniff
from application.errors import (
    DecodeFailed,
    DecompressionBomb,
    NotAnImage,
    OutputTooLarge,
)
from application.ports.image_processor import Rendition
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec
from tests.support.images import encode, open_image, png_bomb, png_with_alpha, truncated_jpeg

RED = (220, 30, 30)
BLUE = (30, 60, 200)
WHITE = (255, 255, 255)

LIMITS = SourceLimits()


def spec(
    width: int = 0,
    height: int = 0,
    *,
    fit: str = "cover",
    position: str = "center",
    background: str = "FFFFFF",
    trim: int = 0,
    quality: int = 90,
    fmt: str = "png",
    alpha: str | None = None,
) -> TransformSpec:
    return TransformSpec(
        box=Box(width, height),
        fit=Fit(fit),
        position=Position(position),
        background=Background.parse(background),
        trim=trim,
        quality=quality,
        format=OutputFormat(fmt),
        alpha_format=OutputFormat(alpha) if alpha else None,
    )


def rendered(original: bytes, **options: Any) -> Image.Image:
    image = open_image(render(original, spec(**options), LIMITS).data)
    return image.convert("RGBA")


def halves(width: int, height: int, *, vertical: bool = False) -> bytes:
    """A PNG, red in the left (or top) half and blue in the other."""
    image = Image.new("RGB", (width, height), BLUE)
    half = (0, 0, width // 2 - 1, height) if not vertical else (0, 0, width, height // 2 - 1)
    ImageDraw.Draw(image).rectangle(half, fill=RED)
    return encode(image, "PNG")


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fit", "box", "expected"),
    [
        ("cover", (300, 200), (300, 200)),
        ("contain", (300, 200), (300, 200)),
        ("fill", (300, 200), (300, 200)),
        ("inside", (300, 200), (267, 200)),
        ("outside", (300, 200), (300, 225)),
        ("inside", (300, 0), (300, 225)),
        ("cover", (0, 150), (200, 150)),
        ("fill", (0, 600), (800, 600)),
        ("contain", (0, 0), (400, 300)),
        ("outside", (0, 0), (400, 300)),
        ("inside", (1600, 1600), (1600, 1200)),
        ("cover", (900, 1000), (900, 1000)),
    ],
)
def test_each_fit_gives_its_output_size(
    fit: str, box: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert rendered(halves(400, 300), width=box[0], height=box[1], fit=fit).size == expected


def test_fill_stretches_instead_of_cropping() -> None:
    image = rendered(halves(400, 300), width=100, height=300, fit="fill")
    assert near(image.getpixel((20, 150)), (*RED, 255))
    assert near(image.getpixel((80, 150)), (*BLUE, 255))


def test_outside_upscales_to_cover_the_box_without_cropping() -> None:
    image = rendered(halves(40, 20), width=100, height=100, fit="outside")
    assert image.size == (200, 100)
    assert near(image.getpixel((10, 50)), (*RED, 255))
    assert near(image.getpixel((190, 50)), (*BLUE, 255))


def test_an_output_above_the_pixel_limit_is_refused() -> None:
    tall = encode(Image.new("RGB", (10, 1000), RED), "PNG")
    with pytest.raises(OutputTooLarge):
        render(tall, spec(8192, 0, fit="inside"), LIMITS)


# --- padding and crop placement -----------------------------------------------------------------


def test_contain_pads_with_the_hex_background() -> None:
    wide = encode(Image.new("RGB", (400, 200), RED), "PNG")
    image = rendered(wide, width=200, height=200, fit="contain", background="00FF00")
    assert image.getpixel((100, 3)) == (0, 255, 0, 255)
    assert image.getpixel((100, 196)) == (0, 255, 0, 255)
    assert near(image.getpixel((100, 100)), (*RED, 255))


@pytest.mark.parametrize("fmt", ["png", "webp", "avif", "gif", "tiff"])
def test_contain_with_transparent_background_keeps_alpha_in_the_padding(fmt: str) -> None:
    wide = encode(Image.new("RGB", (400, 200), RED), "PNG")
    image = rendered(wide, width=200, height=200, fit="contain", background="transparent", fmt=fmt)
    assert image.getpixel((100, 3))[3] < 16
    assert image.getpixel((100, 100))[3] > 240
    assert near(image.getpixel((100, 100))[:3], RED, 24)


def test_contain_places_the_image_by_position() -> None:
    wide = encode(Image.new("RGB", (400, 200), RED), "PNG")
    image = rendered(wide, width=200, height=200, fit="contain", position="top", background="000")
    assert near(image.getpixel((100, 10)), (*RED, 255))
    assert image.getpixel((100, 190)) == (0, 0, 0, 255)


@pytest.mark.parametrize(("position", "colour"), [("left", RED), ("right", BLUE)])
def test_cover_crops_on_the_side_the_position_names(
    position: str, colour: tuple[int, int, int]
) -> None:
    image = rendered(halves(400, 200), width=50, height=100, position=position)
    assert image.size == (50, 100)
    assert near(image.getpixel((0, 50)), (*colour, 255))
    assert near(image.getpixel((49, 50)), (*colour, 255))


@pytest.mark.parametrize(
    ("position", "top", "bottom"),
    [("top", RED, RED), ("southeast", BLUE, BLUE), ("center", RED, BLUE)],
)
def test_cover_crops_vertically_by_position(
    position: str, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> None:
    image = rendered(halves(200, 400, vertical=True), width=100, height=50, position=position)
    assert near(image.getpixel((50, 0)), (*top, 255))
    assert near(image.getpixel((50, 49)), (*bottom, 255))


# --- content-aware crops ----------------------------------------------------------------------


def busy_and_salient(*, noise_left: bool) -> bytes:
    """600x200 grey: grain on one side, a saturated red square on the other, flat between."""
    rng = random.Random(7)
    image = Image.new("RGB", (600, 200), (128, 128, 128))
    grain = Image.frombytes("L", (200, 200), rng.randbytes(200 * 200)).convert("RGB")
    image.paste(grain, (0, 0) if noise_left else (400, 0))
    square = (430, 30, 570, 170) if noise_left else (30, 30, 170, 170)
    ImageDraw.Draw(image).rectangle(square, fill=RED)
    return encode(image, "PNG")


@pytest.mark.parametrize("noise_left", [True, False])
def test_entropy_keeps_the_busiest_region(noise_left: bool) -> None:
    source = busy_and_salient(noise_left=noise_left)
    centre = ImageStat.Stat(rendered(source, width=200, height=200).convert("L"))
    busiest = ImageStat.Stat(rendered(source, width=200, height=200, position="entropy"))
    assert centre.stddev[0] < 2  # the flat middle: the check below can fail
    assert min(busiest.stddev[:3]) > 50  # the grain, not the flat red square


@pytest.mark.parametrize("noise_left", [True, False])
def test_attention_keeps_the_most_salient_region(noise_left: bool) -> None:
    source = busy_and_salient(noise_left=noise_left)
    salient = rendered(source, width=200, height=200, position="attention")
    red, green, _, _ = ImageStat.Stat(salient).mean
    assert red > 170
    assert green < 100


def test_contain_with_a_content_aware_position_centres() -> None:
    wide = encode(Image.new("RGB", (400, 200), RED), "PNG")
    image = rendered(wide, width=200, height=200, fit="contain", position="entropy")
    assert image.getpixel((100, 25)) == (255, 255, 255, 255)
    assert image.getpixel((100, 175)) == (255, 255, 255, 255)
    assert near(image.getpixel((100, 100)), (*RED, 255))


# --- trim ---------------------------------------------------------------------------------------


def framed(fmt: str = "PNG", margin_colour: tuple[int, ...] = WHITE, mode: str = "RGB") -> bytes:
    """300x200 of `margin_colour` around a detailed 100x50 block at (50, 40)."""
    image = Image.new(mode, (300, 200), margin_colour)
    block = Image.new("RGB", (100, 50), BLUE)
    ImageDraw.Draw(block).line((0, 0, 99, 49), fill=RED, width=5)
    image.paste(block, (50, 40))
    return encode(image, fmt, **({"quality": 92} if fmt == "JPEG" else {}))


def test_trim_removes_white_margins() -> None:
    assert rendered(framed(), trim=10).size == (100, 50)


def test_trim_tolerates_jpeg_noise_around_white_margins() -> None:
    width, height = rendered(framed("JPEG"), trim=5).size
    assert 100 <= width <= 104
    assert 50 <= height <= 54


def test_trim_removes_transparent_margins() -> None:
    margin = (255, 0, 0, 0)  # red but fully transparent: its colour must not matter
    source = framed(margin_colour=margin, mode="RGBA")
    assert rendered(source, trim=1, background="transparent").size == (100, 50)


def test_trim_against_white_keeps_transparent_margins() -> None:
    assert rendered(png_with_alpha(), trim=10).size == (400, 400)


def test_trim_with_transparent_background_keeps_an_opaque_photo_whole() -> None:
    photo = encode(Image.new("RGB", (300, 200), WHITE), "JPEG")
    assert rendered(photo, trim=50, background="transparent").size == (300, 200)


def test_a_trim_that_would_leave_nothing_leaves_the_image_whole() -> None:
    blank = encode(Image.new("RGB", (300, 200), WHITE), "PNG")
    assert rendered(blank, trim=5).size == (300, 200)


def test_trim_happens_before_the_resize() -> None:
    image = rendered(framed(), trim=10, width=200, fit="inside")
    assert image.size == (200, 100)
    assert near(image.getpixel((199, 0)), (*BLUE, 255), 30)
    assert near(image.getpixel((0, 99)), (*BLUE, 255), 30)


# --- decoding -------------------------------------------------------------------------------


def photo_jpeg(width: int, height: int) -> bytes:
    rng = random.Random(3)
    grain = Image.frombytes("L", (width // 8, height // 8), rng.randbytes(width * height // 64))
    return encode(grain.resize((width, height)).convert("RGB"), "JPEG", quality=85)


def test_a_jpeg_is_decoded_shrunk_to_what_the_result_needs() -> None:
    picture = RasterPicture(photo_jpeg(4000, 3000), SourceFormat.JPEG, LIMITS)
    # DCT scaling by 1/8: the smallest decode still at least 1.25 times the 300x200 target
    assert picture.still(Size(300, 200)).size == (500, 375)
    assert picture.still(None).size == (4000, 3000)


def test_a_dct_shrink_that_would_leave_too_few_pixels_is_not_taken() -> None:
    picture = RasterPicture(photo_jpeg(1920, 1080), SourceFormat.JPEG, LIMITS)
    # 1/2 would give 960 pixels for an 800-pixel result: too little for the final Lanczos
    assert picture.still(Size(800, 450)).size == (1920, 1080)
    assert picture.still(Size(400, 225)).size == (960, 540)


def test_a_thumbnail_of_a_large_photo_keeps_its_size_and_colours() -> None:
    image = Image.new("RGB", (4000, 3000), RED)
    image.paste(BLUE, (2000, 0, 4000, 3000))
    result = render(encode(image, "JPEG", quality=90), spec(300, 200, fmt="jpeg"), LIMITS)
    thumbnail = open_image(result.data)

    assert result.data[:3] == b"\xff\xd8\xff"
    assert thumbnail.size == (300, 200)
    assert near(thumbnail.getpixel((40, 100)), RED)
    assert near(thumbnail.getpixel((260, 100)), BLUE)


def test_a_large_trim_decodes_the_jpeg_again_with_enough_pixels() -> None:
    image = Image.new("RGB", (2000, 1500), WHITE)
    image.paste(Image.open(io.BytesIO(photo_jpeg(400, 300))), (800, 600))
    source = encode(image, "JPEG", quality=92)
    picture = RasterPicture(source, SourceFormat.JPEG, LIMITS)
    _, content = decode_still(picture, spec(400, 300, trim=5))
    # decoded for 400x300 without the margins, the content would be 200x150: upscaled, blurred
    assert 400 <= content[2] - content[0] <= 404
    assert 300 <= content[3] - content[1] <= 304


def exif_oriented(orientation: int, **options: object) -> bytes:
    image = Image.open(io.BytesIO(halves(400, 200))).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera maker"
    return encode(image, "JPEG", quality=92, exif=exif.tobytes(), **options)


def test_exif_orientation_is_applied_before_everything() -> None:
    image = rendered(exif_oriented(6))
    assert image.size == (200, 400)
    assert near(image.getpixel((100, 20)), (*RED, 255), 20)
    assert near(image.getpixel((100, 380)), (*BLUE, 255), 20)


def test_exif_orientation_counts_for_the_fit() -> None:
    assert rendered(exif_oriented(8), width=100, fit="inside").size == (100, 200)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_metadata_is_stripped_from_the_output(fmt: str) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = exif_oriented(1, icc_profile=icc, comment=b"secret")
    assert {"exif", "icc_profile", "comment"} <= set(open_image(original).info)
    output = open_image(render(original, spec(fmt=fmt), LIMITS).data)
    assert not output.getexif()
    assert "icc_profile" not in output.info
    assert "comment" not in output.info


def test_cmyk_and_sixteen_bit_originals_come_out_in_rgb() -> None:
    cmyk = encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG")
    assert near(rendered(cmyk).getpixel((10, 10)), (255, 0, 0, 255), 8)
    grey = encode(Image.new("I;16", (20, 20), 32768), "PNG")
    assert near(rendered(grey).getpixel((10, 10)), (128, 128, 128, 255), 2)


def test_a_palette_image_with_transparency_keeps_it() -> None:
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([0, 0, 0, *RED])
    palette.info["transparency"] = 0
    palette.paste(0, (0, 0, 10, 20))
    image = rendered(encode(palette, "PNG", transparency=0))
    assert image.getpixel((5, 5))[3] == 0
    assert near(image.getpixel((15, 5)), (*RED, 255))


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "magic", "offset"),
    [
        ("jpeg", b"\xff\xd8\xff", 0),
        ("png", b"\x89PNG\r\n\x1a\n", 0),
        ("gif", b"GIF8", 0),
        ("webp", b"WEBP", 8),
        ("avif", b"ftypavif", 4),
        ("tiff", b"II*\x00", 0),
    ],
)
def test_each_output_format_has_its_magic_bytes(fmt: str, magic: bytes, offset: int) -> None:
    rendition = render(halves(120, 80), spec(60, 40, fmt=fmt, quality=70), LIMITS)
    assert rendition.data[offset : offset + len(magic)] == magic
    assert rendition.format is OutputFormat(fmt)
    assert open_image(rendition.data).size == (60, 40)


def test_jpeg_thumbnails_are_sequential_and_large_results_progressive() -> None:
    original = halves(1600, 1200)

    small = open_image(render(original, spec(300, 200, fmt="jpeg", quality=80), LIMITS).data)
    large = open_image(render(original, spec(800, 800, fmt="jpeg", quality=80), LIMITS).data)

    assert small.size == (300, 200)
    assert "progressive" not in small.info  # SOF0: sequential, optimised Huffman tables
    assert large.size == (800, 800)
    assert large.info.get("progressive") == 1


def test_svg_asked_of_a_raster_is_answered_as_png() -> None:
    rendition = render(halves(120, 80), spec(60, 40, fmt="svg"), LIMITS)
    assert rendition.format is OutputFormat.PNG
    assert rendition.data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("background", "colour"), [("transparent", WHITE), ("FF0000", (255, 0, 0))]
)
def test_jpeg_flattens_transparency_onto_the_background(
    background: str, colour: tuple[int, int, int]
) -> None:
    image = rendered(png_with_alpha(), fmt="jpeg", background=background)
    assert near(image.getpixel((5, 5)), (*colour, 255), 6)
    assert near(image.getpixel((200, 200)), (20, 200, 20, 255), 12)


def test_png_below_quality_95_is_a_palette_image_with_correct_alpha() -> None:
    rendition = render(png_with_alpha(), spec(quality=80), LIMITS)
    image = open_image(rendition.data)
    assert image.mode == "P"
    assert image.convert("RGBA").getpixel((5, 5))[3] == 0
    assert near(image.convert("RGBA").getpixel((200, 200)), (20, 200, 20, 255), 8)
    lossless = open_image(render(png_with_alpha(), spec(quality=95), LIMITS).data)
    assert lossless.mode == "RGBA"


@pytest.mark.parametrize(
    ("original", "fit", "background", "expected"),
    [
        (png_with_alpha(), "cover", "FFFFFF", OutputFormat.PNG),
        (halves(200, 100), "cover", "FFFFFF", OutputFormat.JPEG),
        (
            encode(Image.new("RGBA", (200, 100), (*RED, 255)), "PNG"),
            "cover",
            "FFF",
            OutputFormat.JPEG,
        ),
        (halves(200, 100), "contain", "transparent", OutputFormat.PNG),
    ],
)
def test_auto_uses_the_alpha_format_only_for_real_transparency(
    original: bytes, fit: str, background: str, expected: OutputFormat
) -> None:
    options = spec(100, 100, fit=fit, background=background, fmt="jpeg", alpha="png")
    rendition = render(original, options, LIMITS)
    assert rendition.format is expected
    assert sniff(rendition.data).value == expected.value.upper()


# --- failures ---------------------------------------------------------------------------------


def noisy_png() -> bytes:
    return encode(Image.frombytes("L", (100, 100), random.Random(5).randbytes(10_000)), "PNG")


@pytest.mark.parametrize(
    "original",
    [b"", b"hello, world", b"<html><body>no</body></html>", bytes(range(256)) * 4],
)
def test_bytes_that_are_no_image_are_refused(original: bytes) -> None:
    with pytest.raises(NotAnImage):
        render(original, spec(100, 100), LIMITS)


@pytest.mark.parametrize(
    "original",
    [
        truncated_jpeg(),
        noisy_png()[:2000],
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"GIF89a" + b"\xff" * 40,
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
    ],
)
def test_corrupt_or_truncated_images_fail_to_decode(original: bytes) -> None:
    with pytest.raises(DecodeFailed):
        render(original, spec(100, 100, fmt="jpeg"), LIMITS)


def test_a_header_claiming_ten_gigapixels_is_a_bomb() -> None:
    with pytest.raises(DecompressionBomb):
        render(png_bomb(), spec(100, 100), LIMITS)


def test_the_configured_pixel_limit_is_checked_before_decoding() -> None:
    with pytest.raises(DecompressionBomb):
        render(halves(2000, 1000), spec(100, 100), SourceLimits(max_source_pixels=1_000_000))


def test_too_many_frames_is_a_bomb() -> None:
    frames = [Image.new("RGB", (20, 20), (index * 40, 0, 0)) for index in range(5)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(DecompressionBomb):
        render(gif, spec(10, 10, fmt="gif"), SourceLimits(max_frames=4))
    with pytest.raises(DecompressionBomb):
        render(gif, spec(10, 10, fmt="gif"), SourceLimits(max_animation_pixels=1999))


# --- the async adapter ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def restore_pillow_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A processor sets Pillow's process-wide pixel limit; give it back after each test."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def test_the_processor_renders_on_the_executor_and_leaves_it_open() -> None:
    async def story(processor: PillowImageProcessor) -> list[Rendition]:
        renditions = await asyncio.gather(
            *(processor.render(halves(400, 300), spec(40 * n, 30, fmt="webp")) for n in (1, 2, 3))
        )
        await processor.close()
        return list(renditions)

    with ThreadPoolExecutor(max_workers=2) as pool:
        renditions = asyncio.run(story(PillowImageProcessor(pool)))
        assert pool.submit(lambda: "still open").result() == "still open"
    assert [open_image(r.data).size for r in renditions] == [(40, 30), (80, 30), (120, 30)]
    assert all(r.format is OutputFormat.WEBP for r in renditions)


def test_the_processor_raises_port_errors() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        processor = PillowImageProcessor(pool, max_source_pixels=10_000)
        with pytest.raises(NotAnImage):
            asyncio.run(processor.render(b"plain text", spec(10, 10)))
        with pytest.raises(DecompressionBomb):
            asyncio.run(processor.render(halves(200, 100), spec(10, 10)))
