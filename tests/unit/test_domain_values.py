"""The domain's value objects and policies (http-contract §1 and §2), table by table."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest

from domain.conditional import is_not_modified
from domain.correlation import correlation_id
from domain.errors import DomainError, InvalidRequest
from domain.formats import OutputFormat, RequestedFormat
from domain.negotiation import AcceptedFormats
from domain.policy import HostAllowList
from domain.request import ImageRequest, ImageSource, ResultKey, SourceKind
from domain.result import CacheStatus, ImageResult
from domain.route import RouteNotFound
from domain.transform import Background, Box, Fit, Position, TransformSpec

# --- Background -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rgba", "text_form"),
    [
        ("transparent", (0, 0, 0, 0), "00000000"),
        ("FFF", (255, 255, 255, 255), "ffffffff"),
        ("#fff", (255, 255, 255, 255), "ffffffff"),
        ("#a1B", (0xAA, 0x11, 0xBB, 255), "aa11bbff"),
        ("000", (0, 0, 0, 255), "000000ff"),
        ("FFFFFF", (255, 255, 255, 255), "ffffffff"),
        ("#102030", (0x10, 0x20, 0x30, 255), "102030ff"),
        ("10203040", (0x10, 0x20, 0x30, 0x40), "10203040"),
        ("#FF000080", (255, 0, 0, 0x80), "ff000080"),
        ("00000000", (0, 0, 0, 0), "00000000"),
    ],
)
def test_background_parse_and_text_form(
    text: str, rgba: tuple[int, int, int, int], text_form: str
) -> None:
    background = Background.parse(text)
    assert background.rgba == rgba
    assert str(background) == text_form
    assert Background.parse(str(background)) == background


@pytest.mark.parametrize(
    ("text", "flatten", "transparent"),
    [
        ("transparent", (255, 255, 255), True),
        ("00000000", (255, 255, 255), True),
        ("FF000000", (255, 255, 255), True),
        ("FF000080", (255, 0, 0), False),
        ("000", (0, 0, 0), False),
        ("FFFFFF", (255, 255, 255), False),
        ("123456", (0x12, 0x34, 0x56), False),
    ],
)
def test_background_flatten_colour(
    text: str, flatten: tuple[int, int, int], transparent: bool
) -> None:
    background = Background.parse(text)
    assert background.flatten_colour == flatten
    assert background.is_transparent is transparent


def test_equivalent_backgrounds_are_equal() -> None:
    assert Background.parse("FFF") == Background.parse("#FFFFFF") == Background.parse("ffffffff")
    assert Background.parse("transparent") == Background.parse("#00000000")


@pytest.mark.parametrize(
    "text",
    [
        "transparen",
        "Transparent",
        "TRANSPARENT",
        "FFFF",
        "FF",
        "FFFFF",
        "FFFFFFF",
        "FFFFFFFFF",
        "GGGGGG",
        "#12345",
        "#",
        "##FFF",
        "",
        " FFF",
        "FFF\n",
        "white",
    ],
)
def test_bad_backgrounds(text: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        Background.parse(text)
    assert info.value.status == 400


def test_background_is_frozen() -> None:
    background = Background.parse("FFF")
    with pytest.raises(AttributeError):
        background.red = 0  # type: ignore[misc]


# --- Box --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [(0, 0), (1, 0), (0, 1), (8192, 0), (0, 8192), (7680, 4320), (4320, 7680), (8192, 4050)],
)
def test_boxes_within_the_limits(width: int, height: int) -> None:
    box = Box(width, height)
    assert (box.width, box.height) == (width, height)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (8193, 0, "width"),
        (0, 8193, "height"),
        (-1, 0, "width"),
        (0, -1, "height"),
        (8000, 8000, "7680x4320"),
        (8192, 4051, "7680x4320"),
        (7681, 4320, "7680x4320"),
        (4320, 7681, "7680x4320"),
    ],
)
def test_boxes_beyond_the_limits(width: int, height: int, message: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        Box(width, height)
    assert info.value.status == 400
    assert message in info.value.message


# --- Position ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "gravity", "content_aware"),
    [
        (Position.CENTER, (0.5, 0.5), False),
        (Position.TOP, (0.5, 0.0), False),
        (Position.BOTTOM, (0.5, 1.0), False),
        (Position.LEFT, (0.0, 0.5), False),
        (Position.RIGHT, (1.0, 0.5), False),
        (Position.NORTHWEST, (0.0, 0.0), False),
        (Position.NORTHEAST, (1.0, 0.0), False),
        (Position.SOUTHWEST, (0.0, 1.0), False),
        (Position.SOUTHEAST, (1.0, 1.0), False),
        (Position.ENTROPY, (0.5, 0.5), True),
        (Position.ATTENTION, (0.5, 0.5), True),
    ],
)
def test_position_gravity(
    position: Position, gravity: tuple[float, float], content_aware: bool
) -> None:
    assert position.gravity == gravity
    assert position.is_content_aware is content_aware


def test_every_position_has_a_gravity_row() -> None:
    assert {position.value for position in Position} == {
        "center", "top", "bottom", "left", "right", "northwest", "northeast",
        "southwest", "southeast", "entropy", "attention",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("centre", Position.CENTER),
        ("north", Position.TOP),
        ("south", Position.BOTTOM),
        ("west", Position.LEFT),
        ("east", Position.RIGHT),
        *((position.value, position) for position in Position),
        ("Center", None),
        ("middle", None),
        ("", None),
        ("north west", None),
    ],
)
def test_position_parse(text: str, expected: Position | None) -> None:
    assert Position.parse(text) is expected


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *((member.value, member) for member in RequestedFormat),
        ("jpg", RequestedFormat.JPEG),
        ("JPG", None),
        ("WEBP", None),
        ("bmp", None),
        ("tif", None),
        ("", None),
        ("jpeg ", None),
    ],
)
def test_requested_format_parse(text: str, expected: RequestedFormat | None) -> None:
    assert RequestedFormat.parse(text) is expected


@pytest.mark.parametrize(
    ("output", "media_type", "alpha"),
    [
        (OutputFormat.WEBP, "image/webp", True),
        (OutputFormat.AVIF, "image/avif", True),
        (OutputFormat.JPEG, "image/jpeg", False),
        (OutputFormat.PNG, "image/png", True),
        (OutputFormat.GIF, "image/gif", True),
        (OutputFormat.TIFF, "image/tiff", True),
        (OutputFormat.SVG, "image/svg+xml", True),
    ],
)
def test_output_formats(output: OutputFormat, media_type: str, alpha: bool) -> None:
    assert output.media_type == media_type
    assert output.has_alpha is alpha


def test_every_concrete_requested_format_is_an_output_format() -> None:
    concrete = {member.value for member in RequestedFormat} - {"auto"}
    assert concrete == {member.value for member in OutputFormat}


# --- ImageRequest.spec_for and AcceptedFormats ------------------------------------------------

SOURCE = ImageSource(SourceKind.MEDIA, "webside", "products/foo.jpg")


def request_for(fmt: RequestedFormat = RequestedFormat.AUTO, **changes: Any) -> ImageRequest:
    request = ImageRequest(
        source=SOURCE,
        box=Box(800, 600),
        fit=Fit.COVER,
        position=Position.ENTROPY,
        background=Background.parse("FF0000"),
        trim=7,
        quality=85,
        format=fmt,
    )
    return replace(request, **changes)


CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
SAFARI_15 = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
FIREFOX = "image/avif,image/webp,*/*"


@pytest.mark.parametrize(
    ("fmt", "accept", "output", "alpha_output"),
    [
        (RequestedFormat.AUTO, CHROME, OutputFormat.AVIF, None),
        (RequestedFormat.AUTO, FIREFOX, OutputFormat.AVIF, None),
        (RequestedFormat.AUTO, SAFARI_15, OutputFormat.WEBP, None),
        (RequestedFormat.AUTO, "image/avif", OutputFormat.AVIF, None),
        (RequestedFormat.AUTO, "image/webp", OutputFormat.WEBP, None),
        (RequestedFormat.AUTO, "image/webp;q=0.1, image/avif;q=0.1", OutputFormat.AVIF, None),
        (RequestedFormat.AUTO, "image/avif;q=0, image/webp", OutputFormat.WEBP, None),
        (
            RequestedFormat.AUTO,
            "image/avif;q=0, image/webp;q=0",
            OutputFormat.JPEG,
            OutputFormat.PNG,
        ),
        (RequestedFormat.AUTO, "*/*", OutputFormat.JPEG, OutputFormat.PNG),
        (RequestedFormat.AUTO, "image/*", OutputFormat.JPEG, OutputFormat.PNG),
        (RequestedFormat.AUTO, "image/*,*/*;q=0.8", OutputFormat.JPEG, OutputFormat.PNG),
        (RequestedFormat.AUTO, "image/png,image/jpeg", OutputFormat.JPEG, OutputFormat.PNG),
        (RequestedFormat.AUTO, None, OutputFormat.JPEG, OutputFormat.PNG),
        (RequestedFormat.AUTO, "", OutputFormat.JPEG, OutputFormat.PNG),
        (RequestedFormat.WEBP, CHROME, OutputFormat.WEBP, None),
        (RequestedFormat.WEBP, None, OutputFormat.WEBP, None),
        (RequestedFormat.JPEG, CHROME, OutputFormat.JPEG, None),
        (RequestedFormat.PNG, "image/avif", OutputFormat.PNG, None),
        (RequestedFormat.AVIF, "image/webp", OutputFormat.AVIF, None),
        (RequestedFormat.GIF, None, OutputFormat.GIF, None),
        (RequestedFormat.TIFF, None, OutputFormat.TIFF, None),
        (RequestedFormat.SVG, None, OutputFormat.SVG, None),
    ],
)
def test_spec_for_resolves_the_format(
    fmt: RequestedFormat,
    accept: str | None,
    output: OutputFormat,
    alpha_output: OutputFormat | None,
) -> None:
    spec = request_for(fmt).spec_for(AcceptedFormats.from_header(accept))
    assert (spec.format, spec.alpha_format) == (output, alpha_output)


def test_spec_for_carries_every_other_option() -> None:
    request = request_for()
    spec = request.spec_for(AcceptedFormats())
    assert (spec.box, spec.fit, spec.position, spec.background, spec.trim, spec.quality) == (
        request.box,
        request.fit,
        request.position,
        request.background,
        request.trim,
        request.quality,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trim": -1}, "trim"),
        ({"trim": 101}, "trim"),
        ({"quality": 0}, "quality"),
        ({"quality": 101}, "quality"),
    ],
)
def test_image_request_validates_trim_and_quality(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        request_for(**changes)
    assert info.value.status == 400
    assert message in info.value.message


@pytest.mark.parametrize(("trim", "quality"), [(0, 1), (100, 100)])
def test_image_request_accepts_trim_and_quality_limits(trim: int, quality: int) -> None:
    request = request_for(trim=trim, quality=quality)
    assert (request.trim, request.quality) == (trim, quality)


@pytest.mark.parametrize(
    ("accept", "avif", "webp"),
    [
        (None, False, False),
        ("", False, False),
        ("   ", False, False),
        ("*/*", False, False),
        ("image/*", False, False),
        ("image/*, */*", False, False),
        (CHROME, True, True),
        (SAFARI_15, False, True),
        ("image/avif", True, False),
        ("image/webp", False, True),
        ("IMAGE/AVIF", True, False),
        ("Image/WebP", False, True),
        (" image/avif ; q=1 ,  image/webp ", True, True),
        ("image/avif;q=0", False, False),
        ("image/avif; q=0.0", False, False),
        ("image/avif;Q=0", False, False),
        ("image/avif;q=0.000", False, False),
        ("image/avif;q=0.001", True, False),
        ("image/avif;q=0.5;level=1", True, False),
        ("image/avif;level=1;q=0", False, False),
        ("image/avif;q=abc", False, False),
        ("image/avif;q=", False, False),
        ("image/avif;q=-1", False, False),
        ("image/avif;q=nan", False, False),
        ("image/avif-sequence", False, False),
        ("image/avifs, image/webpx", False, False),
        ("application/avif, text/webp", False, False),
        ("avif, webp", False, False),
        (",,,;;;", False, False),
        (";q=1", False, False),
        ("image/webp;q=0, image/avif;q=0.9", True, False),
        ("garbage\x00, image/webp", False, True),
    ],
)
def test_accepted_formats_from_header(accept: str | None, avif: bool, webp: bool) -> None:
    assert AcceptedFormats.from_header(accept) == AcceptedFormats(avif=avif, webp=webp)


# --- ResultKey --------------------------------------------------------------------------------

BASE_SPEC = TransformSpec(
    box=Box(800, 600),
    fit=Fit.COVER,
    position=Position.CENTER,
    background=Background.parse("FFFFFF"),
    trim=0,
    quality=80,
    format=OutputFormat.WEBP,
)

OTHER_SPEC_VALUES: dict[str, list[Any]] = {
    "box": [Box(801, 600), Box(800, 601), Box(600, 800), Box(0, 600), Box(0, 0)],
    "fit": [fit for fit in Fit if fit is not Fit.COVER],
    "position": [position for position in Position if position is not Position.CENTER],
    "background": [
        Background.parse(text) for text in ("transparent", "FFFFFFFE", "FFFFFE", "000", "FFFFFF00")
    ],
    "trim": [1, 50, 100],
    "quality": [1, 79, 81, 100],
    "format": [output for output in OutputFormat if output is not OutputFormat.WEBP],
    "alpha_format": [OutputFormat.PNG, OutputFormat.WEBP],
}

OTHER_SOURCES = [
    ImageSource(SourceKind.MEDIA, "other", "products/foo.jpg"),
    ImageSource(SourceKind.MEDIA, "webside", "products/foo.png"),
    ImageSource(SourceKind.MEDIA, "webside", "products/Foo.jpg"),
    ImageSource(SourceKind.MEDIA, "webside", "foo.jpg"),
    ImageSource(SourceKind.MEDIA, "webside", "products/foo.jpg/x"),
    ImageSource(SourceKind.STATIC, "webside", "products/foo.jpg"),
]


def test_every_spec_field_has_other_values_in_the_table() -> None:
    assert set(OTHER_SPEC_VALUES) == {field.name for field in fields(TransformSpec)}


def test_result_key_is_deterministic() -> None:
    first = ResultKey.of(SOURCE, BASE_SPEC)
    again = ResultKey.of(
        ImageSource(SourceKind.MEDIA, "webside", "products/foo.jpg"), replace(BASE_SPEC)
    )
    assert first == again
    assert str(first) == str(again) == f"webside:{first.digest}"
    assert first.tenant == "webside"
    assert len(first.digest) == 64
    assert int(first.digest, 16) >= 0


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field, values in OTHER_SPEC_VALUES.items() for value in values],
)
def test_result_key_differs_when_any_option_differs(field: str, value: Any) -> None:
    other = replace(BASE_SPEC, **{field: value})
    assert ResultKey.of(SOURCE, other) != ResultKey.of(SOURCE, BASE_SPEC)


@pytest.mark.parametrize("source", OTHER_SOURCES)
def test_result_key_differs_when_the_source_differs(source: ImageSource) -> None:
    assert ResultKey.of(source, BASE_SPEC) != ResultKey.of(SOURCE, BASE_SPEC)
    assert ResultKey.of(source, BASE_SPEC).tenant == source.tenant


def test_result_keys_of_all_variations_are_distinct() -> None:
    specs = [BASE_SPEC] + [
        replace(BASE_SPEC, **{field: value})
        for field, values in OTHER_SPEC_VALUES.items()
        for value in values
    ]
    keys = {ResultKey.of(source, spec) for source in [SOURCE, *OTHER_SOURCES] for spec in specs}
    assert len(keys) == len(specs) * (len(OTHER_SOURCES) + 1)


def test_result_key_differs_by_negotiated_format() -> None:
    request = request_for(RequestedFormat.AUTO)
    keys = {
        ResultKey.of(request.source, request.spec_for(accepted))
        for accepted in (
            AcceptedFormats(avif=True, webp=True),
            AcceptedFormats(webp=True),
            AcceptedFormats(),
        )
    }
    assert len(keys) == 3


def test_result_key_is_the_same_for_equivalent_spellings() -> None:
    a = ResultKey.of(SOURCE, replace(BASE_SPEC, background=Background.parse("FFF")))
    b = ResultKey.of(SOURCE, replace(BASE_SPEC, background=Background.parse("#ffffffff")))
    assert a == b


# --- conditional requests ---------------------------------------------------------------------

ETAG = '"0123abcd"'
PRODUCED = int(datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC).timestamp())


def http_date(offset_seconds: int = 0) -> str:
    moment = datetime.fromtimestamp(PRODUCED + offset_seconds, tz=UTC)
    return format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    ("etag", "if_none_match", "if_modified_since", "expected"),
    [
        # If-None-Match, weak comparison
        (ETAG, ETAG, None, True),
        (ETAG, f"W/{ETAG}", None, True),
        (f"W/{ETAG}", ETAG, None, True),
        (f"W/{ETAG}", f"W/{ETAG}", None, True),
        (ETAG, f"  {ETAG}  ", None, True),
        (ETAG, f'"other", {ETAG}', None, True),
        (ETAG, f'"a","b",W/{ETAG},"c"', None, True),
        (ETAG, '"other"', None, False),
        (ETAG, '"other", W/"x"', None, False),
        (ETAG, '"0123ABCD"', None, False),
        (ETAG, "0123abcd", None, False),
        (ETAG, '"0123abc"', None, False),
        (ETAG, "*", None, True),
        (ETAG, " * ", None, True),
        (ETAG, "", None, False),
        # If-None-Match present wins, whatever If-Modified-Since says
        (ETAG, '"other"', http_date(+3600), False),
        (ETAG, '"other"', http_date(0), False),
        (ETAG, ETAG, http_date(-3600), True),
        (ETAG, "*", http_date(-3600), True),
        # If-Modified-Since alone
        (ETAG, None, http_date(0), True),
        (ETAG, None, http_date(+1), True),
        (ETAG, None, http_date(+86400 * 365), True),
        (ETAG, None, http_date(-1), False),
        (ETAG, None, http_date(-86400), False),
        (ETAG, None, "Wed, 01 May 2024 12:00:00 GMT", True),
        (ETAG, None, "Wednesday, 01-May-24 12:00:00 GMT", True),
        (ETAG, None, "Wed May  1 12:00:00 2024", True),
        (ETAG, None, "Wed, 01 May 2024 11:59:59 GMT", False),
        (ETAG, None, "Wed, 01 May 2024 14:00:00 +0200", True),
        (ETAG, None, "Wed, 01 May 2024 13:59:59 +0200", False),
        # a naive date is taken as UTC
        (ETAG, None, "Wed, 01 May 2024 12:00:00 -0000", True),
        (ETAG, None, "Wed, 01 May 2024 12:00:00", True),
        (ETAG, None, "Wed, 01 May 2024 11:59:59", False),
        # an unparseable date is ignored
        (ETAG, None, "yesterday", False),
        (ETAG, None, "", False),
        (ETAG, None, "Wed, 32 May 2024 12:00:00 GMT", False),
        (ETAG, None, "Wed, 01 May 2024 25:00:00 GMT", False),
        (ETAG, None, "Wed, 01 May 99999 12:00:00 GMT", False),
        (ETAG, None, "1714564800", False),
        # neither header
        (ETAG, None, None, False),
    ],
)
def test_is_not_modified(
    etag: str, if_none_match: str | None, if_modified_since: str | None, expected: bool
) -> None:
    assert is_not_modified(etag, PRODUCED, if_none_match, if_modified_since) is expected


def test_is_not_modified_with_a_real_result() -> None:
    result = ImageResult.of(b"bytes", OutputFormat.PNG, PRODUCED + 0.9)
    assert is_not_modified(result.etag, result.produced_at, result.etag, None)
    assert is_not_modified(result.etag, result.produced_at, None, http_date(0))


def test_a_naive_date_is_utc_not_local_time() -> None:
    east = timezone(timedelta(hours=5))
    moment = datetime.fromtimestamp(PRODUCED, tz=east).replace(tzinfo=None)
    # the same wall-clock time read as UTC is five hours later than PRODUCED: not modified
    text = moment.strftime("%a, %d %b %Y %H:%M:%S")
    assert is_not_modified(ETAG, PRODUCED, None, text)
    assert not is_not_modified(ETAG, PRODUCED + 5 * 3600 + 1, None, text)


# --- correlation IDs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidate",
    [
        "abc",
        "a",
        "0",
        ".",
        "-",
        "_",
        "a" * 128,
        "Req-2024.05_01-XYZ",
        "550e8400-e29b-41d4-a716-446655440000",
    ],
)
def test_sane_correlation_ids_are_kept(candidate: str) -> None:
    assert correlation_id(candidate) == candidate


@pytest.mark.parametrize(
    "candidate",
    [
        None,
        "",
        "a" * 129,
        "a" * 1000,
        "a b",
        " abc",
        "abc ",
        "abc\n",
        "abc\r\nX-Injected: 1",
        "é",
        "\uff41\uff42\uff43",  # fullwidth abc
        "١٢٣",
        "a/b",
        "a:b",
        "a+b",
        "<script>",
        "a\x00",
    ],
)
def test_other_correlation_ids_are_replaced_by_a_uuid4(candidate: str | None) -> None:
    generated = correlation_id(candidate)
    assert generated != candidate
    parsed = uuid.UUID(generated)
    assert parsed.version == 4
    assert str(parsed) == generated


def test_generated_correlation_ids_are_fresh() -> None:
    assert len({correlation_id(None) for _ in range(50)}) == 50


# --- the host allow-list ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "permitted"),
    [
        ("example.com", True),
        ("EXAMPLE.COM", True),
        ("Example.Com", True),
        ("example.com.", True),
        ("img.example.com", True),
        ("IMG.Example.com.", True),
        ("a.b.c.example.com", True),
        ("cdn.shop.net", True),
        ("shop.net", True),
        ("", True),  # a local directory origin: no network
        ("evilexample.com", False),
        ("xexample.com", False),
        ("example.com.evil.net", False),
        ("example.com-evil.net", False),
        ("example.co", False),
        ("example.org", False),
        ("com", False),
        ("evilshop.net", False),
        ("net", False),
        (".", False),
        ("..", False),
        (".com", False),
    ],
)
def test_host_allow_list(host: str, permitted: bool) -> None:
    allowed = HostAllowList.of(["example.com", "shop.net"])
    assert allowed.permits(host) is permitted


@pytest.mark.parametrize(
    "entry", ["example.com", " Example.COM ", "EXAMPLE.COM.", ".example.com", "example.com\n"]
)
def test_host_allow_list_entries_are_normalised(entry: str) -> None:
    allowed = HostAllowList.of([entry])
    assert allowed.domains == frozenset({"example.com"})
    assert allowed.permits("example.com")
    assert allowed.permits("img.example.com")
    assert not allowed.permits("evilexample.com")


@pytest.mark.parametrize("entries", [[], [""], ["  ", "."], ()])
def test_an_empty_allow_list_permits_only_the_empty_host(entries: list[str]) -> None:
    allowed = HostAllowList.of(entries)
    assert allowed.domains == frozenset()
    assert allowed.permits("")
    assert not allowed.permits("example.com")
    assert not allowed.permits(".")
    assert not allowed.permits("localhost")


# --- ImageResult ------------------------------------------------------------------------------


def test_image_result_etag_is_stable_for_the_same_bytes() -> None:
    first = ImageResult.of(b"\x89PNG same bytes", OutputFormat.PNG, 1000.0)
    again = ImageResult.of(b"\x89PNG same bytes", OutputFormat.PNG, 2000.0)
    assert first.etag == again.etag


@pytest.mark.parametrize(
    ("data", "other"),
    [
        (b"a", b"b"),
        (b"a", b"a\x00"),
        (b"", b"\x00"),
        (b"\x89PNG" + bytes(1000), b"\x89PNG" + bytes(999) + b"\x01"),
    ],
)
def test_image_result_etag_differs_for_different_bytes(data: bytes, other: bytes) -> None:
    assert (
        ImageResult.of(data, OutputFormat.PNG, 0).etag
        != ImageResult.of(other, OutputFormat.PNG, 0).etag
    )


def test_image_result_describes_its_bytes() -> None:
    result = ImageResult.of(b"RIFF....WEBP", OutputFormat.WEBP, 1714564800.9)
    assert result.etag.startswith('"')
    assert result.etag.endswith('"')
    assert not result.etag.startswith("W/")
    assert len(result.etag) > 2
    assert result.produced_at == 1714564800
    assert result.media_type == "image/webp"
    assert result.size == 12


def test_cache_statuses_are_the_x_cache_values() -> None:
    assert {status.value for status in CacheStatus} == {
        "HIT-MEMORY",
        "HIT-REDIS",
        "HIT-DISK",
        "MISS",
    }


# --- ImageSource and errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "origin_path", "extension"),
    [
        (SOURCE, "media/webside/uploads/products/foo.jpg", "jpg"),
        (ImageSource(SourceKind.MEDIA, "data", "a/b/C.PNG"), "media/data/uploads/a/b/C.PNG", "png"),
        (ImageSource(SourceKind.MEDIA, "t", "dir.d/noext"), "media/t/uploads/dir.d/noext", ""),
        (
            ImageSource(SourceKind.STATIC, "public", "style.css.png"),
            "static/images/style.css.png",
            "png",
        ),
        (ImageSource(SourceKind.STATIC, "public", "logo"), "static/images/logo", ""),
    ],
)
def test_image_source(source: ImageSource, origin_path: str, extension: str) -> None:
    assert source.origin_path == origin_path
    assert source.extension == extension


def test_error_hierarchy() -> None:
    not_found = RouteNotFound("nope")
    assert isinstance(not_found, InvalidRequest)
    assert isinstance(not_found, DomainError)
    assert (not_found.status, not_found.code, not_found.message) == (404, "NOT_FOUND", "nope")
    invalid = InvalidRequest("bad")
    assert (invalid.status, invalid.code, str(invalid)) == (400, "INVALID_REQUEST", "bad")
