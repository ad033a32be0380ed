"""The URL grammar of the two image routes (http-contract §1), table by table."""

from __future__ import annotations

import pytest

from domain.errors import InvalidRequest
from domain.formats import RequestedFormat
from domain.request import ImageRequest, SourceKind
from domain.route import (
    DEFAULT_MAX_PATH_LENGTH,
    MAX_SEGMENT_LENGTH,
    RouteNotFound,
    decode_path,
    is_image_path,
    parse_image_path,
)
from domain.transform import Fit, Position

OPTIONS = "800/600/cover/center/FFFFFF/0/80.webp"


def media_url(path: str, options: str = OPTIONS, tenant: str = "webside") -> str:
    return f"/media_stream-image/media/{tenant}/uploads/{path}/{options}"


def static_url(image: str, options: str = OPTIONS) -> str:
    return f"/media_stream-image/static/images/{image}/{options}"


def options(
    width: str = "800",
    height: str = "600",
    fit: str = "cover",
    position: str = "center",
    background: str = "FFFFFF",
    trim: str = "0",
    quality: str = "80",
    fmt: str = "webp",
) -> str:
    return f"{width}/{height}/{fit}/{position}/{background}/{trim}/{quality}.{fmt}"


def refused(raw_path: str, **kwargs: int) -> InvalidRequest:
    """The 400 error a path raises (never the 404 of an unmatched route)."""
    with pytest.raises(InvalidRequest) as info:
        parse_image_path(raw_path, **kwargs)
    assert not isinstance(info.value, RouteNotFound), info.value.message
    assert info.value.status == 400
    assert info.value.code == "INVALID_REQUEST"
    return info.value


def not_found(raw_path: str) -> RouteNotFound:
    with pytest.raises(RouteNotFound) as info:
        parse_image_path(raw_path)
    assert info.value.status == 404
    assert info.value.code == "NOT_FOUND"
    return info.value


# --- the three real client URLs of the contract ----------------------------------------------

REAL_CLIENT_URLS = [
    (
        "/media_stream-image/media/webside/uploads/products/foo.jpg"
        "/800/800/contain/entropy/transparent/5/80.webp",
        {
            "kind": SourceKind.MEDIA,
            "tenant": "webside",
            "path": "products/foo.jpg",
            "origin_path": "media/webside/uploads/products/foo.jpg",
            "box": (800, 800),
            "fit": Fit.CONTAIN,
            "position": Position.ENTROPY,
            "rgba": (0, 0, 0, 0),
            "trim": 5,
            "quality": 80,
            "format": RequestedFormat.WEBP,
        },
    ),
    (
        "/media_stream-image/media/webside/uploads/blog/cover.png"
        "/1000/1000/contain/center/FFFFFF/5/85.jpeg",
        {
            "kind": SourceKind.MEDIA,
            "tenant": "webside",
            "path": "blog/cover.png",
            "origin_path": "media/webside/uploads/blog/cover.png",
            "box": (1000, 1000),
            "fit": Fit.CONTAIN,
            "position": Position.CENTER,
            "rgba": (255, 255, 255, 255),
            "trim": 5,
            "quality": 85,
            "format": RequestedFormat.JPEG,
        },
    ),
    (
        "/media_stream-image/static/images/logo.png/0/0/contain/entropy/transparent/0/80.avif",
        {
            "kind": SourceKind.STATIC,
            "tenant": "public",
            "path": "logo.png",
            "origin_path": "static/images/logo.png",
            "box": (0, 0),
            "fit": Fit.CONTAIN,
            "position": Position.ENTROPY,
            "rgba": (0, 0, 0, 0),
            "trim": 0,
            "quality": 80,
            "format": RequestedFormat.AVIF,
        },
    ),
]


def fields_of(request: ImageRequest) -> dict[str, object]:
    return {
        "kind": request.source.kind,
        "tenant": request.source.tenant,
        "path": request.source.path,
        "origin_path": request.source.origin_path,
        "box": (request.box.width, request.box.height),
        "fit": request.fit,
        "position": request.position,
        "rgba": request.background.rgba,
        "trim": request.trim,
        "quality": request.quality,
        "format": request.format,
    }


@pytest.mark.parametrize(("raw_path", "expected"), REAL_CLIENT_URLS)
def test_real_client_urls_parse_into_every_field(
    raw_path: str, expected: dict[str, object]
) -> None:
    assert fields_of(parse_image_path(raw_path)) == expected


@pytest.mark.parametrize(("raw_path", "expected"), REAL_CLIENT_URLS)
def test_real_client_urls_are_image_paths(raw_path: str, expected: dict[str, object]) -> None:
    assert is_image_path(raw_path)


@pytest.mark.parametrize(
    ("raw_path", "expected"),
    [
        ("/media_stream-image/", True),
        ("/media_stream-image/anything", True),
        ("/media_stream-image", False),
        ("/media_stream-images/x", False),
        ("/health", False),
        ("/", False),
        ("", False),
    ],
)
def test_is_image_path_is_the_prefix_test(raw_path: str, expected: bool) -> None:
    assert is_image_path(raw_path) is expected


# --- every valid value and alias ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("center", Position.CENTER),
        ("centre", Position.CENTER),
        ("top", Position.TOP),
        ("north", Position.TOP),
        ("bottom", Position.BOTTOM),
        ("south", Position.BOTTOM),
        ("left", Position.LEFT),
        ("west", Position.LEFT),
        ("right", Position.RIGHT),
        ("east", Position.RIGHT),
        ("northwest", Position.NORTHWEST),
        ("northeast", Position.NORTHEAST),
        ("southwest", Position.SOUTHWEST),
        ("southeast", Position.SOUTHEAST),
        ("entropy", Position.ENTROPY),
        ("attention", Position.ATTENTION),
    ],
)
def test_every_position_and_alias(text: str, expected: Position) -> None:
    assert parse_image_path(media_url("a.png", options(position=text))).position is expected


@pytest.mark.parametrize("fit", ["contain", "cover", "fill", "inside", "outside"])
def test_every_fit(fit: str) -> None:
    assert parse_image_path(media_url("a.png", options(fit=fit))).fit is Fit(fit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("webp", RequestedFormat.WEBP),
        ("avif", RequestedFormat.AVIF),
        ("jpeg", RequestedFormat.JPEG),
        ("jpg", RequestedFormat.JPEG),
        ("png", RequestedFormat.PNG),
        ("gif", RequestedFormat.GIF),
        ("tiff", RequestedFormat.TIFF),
        ("svg", RequestedFormat.SVG),
        ("auto", RequestedFormat.AUTO),
    ],
)
def test_every_format_and_alias(text: str, expected: RequestedFormat) -> None:
    assert parse_image_path(media_url("a.png", options(fmt=text))).format is expected


def test_only_auto_negotiates() -> None:
    assert parse_image_path(media_url("a.png", options(fmt="auto"))).negotiates
    assert not parse_image_path(media_url("a.png", options(fmt="webp"))).negotiates


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("transparent", (0, 0, 0, 0)),
        ("FFF", (255, 255, 255, 255)),
        ("fff", (255, 255, 255, 255)),
        ("#FFF", (255, 255, 255, 255)),
        ("%23FFF", (255, 255, 255, 255)),
        ("%2523FFF", (255, 255, 255, 255)),
        ("1a2", (0x11, 0xAA, 0x22, 255)),
        ("FFFFFF", (255, 255, 255, 255)),
        ("#102030", (0x10, 0x20, 0x30, 255)),
        ("%23102030", (0x10, 0x20, 0x30, 255)),
        ("aBcDeF", (0xAB, 0xCD, 0xEF, 255)),
        ("10203040", (0x10, 0x20, 0x30, 0x40)),
        ("#10203040", (0x10, 0x20, 0x30, 0x40)),
        ("%2310203040", (0x10, 0x20, 0x30, 0x40)),
        ("FFFFFF00", (255, 255, 255, 0)),
    ],
)
def test_every_background_form(text: str, rgba: tuple[int, int, int, int]) -> None:
    request = parse_image_path(media_url("a.png", options(background=text)))
    assert request.background.rgba == rgba


@pytest.mark.parametrize(
    ("width", "height"),
    [
        ("0", "0"),
        ("1", "1"),
        ("8192", "0"),
        ("0", "8192"),
        ("7680", "4320"),
        ("4320", "7680"),
        ("8192", "4050"),  # 8192 * 4050 == 7680 * 4320 exactly
        ("0800", "0600"),
    ],
)
def test_boxes_within_the_limits(width: str, height: str) -> None:
    box = parse_image_path(media_url("a.png", options(width=width, height=height))).box
    assert (box.width, box.height) == (int(width), int(height))


@pytest.mark.parametrize(("trim", "quality"), [("0", "1"), ("1", "50"), ("100", "100")])
def test_trim_and_quality_at_their_limits(trim: str, quality: str) -> None:
    request = parse_image_path(media_url("a.png", options(trim=trim, quality=quality)))
    assert (request.trim, request.quality) == (int(trim), int(quality))


def test_aliases_parse_to_the_same_request() -> None:
    canonical = parse_image_path(media_url("a.png", options(position="center", fmt="jpeg")))
    aliased = parse_image_path(media_url("a.png", options(position="centre", fmt="jpg")))
    assert aliased == canonical


# --- paths: several segments, encodings, names passed unchanged -------------------------------


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("foo.jpg", "foo.jpg"),
        ("products/foo.jpg", "products/foo.jpg"),
        ("a/b/c/d/e.png", "a/b/c/d/e.png"),
        ("2024/01/15/hero banner.webp", "2024/01/15/hero banner.webp"),
        ("uploads/media/x.png", "uploads/media/x.png"),
    ],
)
def test_media_paths_keep_every_segment(raw: str, path: str) -> None:
    source = parse_image_path(media_url(raw)).source
    assert source.path == path
    assert source.origin_path == f"media/webside/uploads/{path}"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        # once: decoded
        ("products%2Ffoo.jpg", "products/foo.jpg"),
        ("products%2ffoo.jpg", "products/foo.jpg"),
        ("my%20photo.png", "my photo.png"),
        ("caf%C3%A9.png", "café.png"),
        ("50%25off.png", "50%off.png"),  # `%of` is no escape: stable after one pass
        # twice (a rich-text editor's double encoding)
        ("products%252Ffoo.jpg", "products/foo.jpg"),
        ("my%2520photo.png", "my photo.png"),
        ("caf%25C3%25A9.png", "café.png"),
        # three times: the most that is decoded
        ("products%25252Ffoo.jpg", "products/foo.jpg"),
        ("a%25252Fb%25252Fc.png", "a/b/c.png"),
        ("my%252520x.png", "my x.png"),
        # `+` is no space in a path; other reserved characters pass as they are
        ("a+b.png", "a+b.png"),
        ("a%2Bb.png", "a+b.png"),
        ("a;v=2.png", "a;v=2.png"),
        ("a%3Fb%23c.png", "a?b#c.png"),
        ("~user/(1)!.png", "~user/(1)!.png"),
        # already-decoded unicode passes as is
        ("café.png", "café.png"),
        ("商品/图片.png", "商品/图片.png"),
    ],
)
def test_percent_encoded_paths_decode_up_to_three_times(raw: str, path: str) -> None:
    assert parse_image_path(media_url(raw)).source.path == path


def test_encoded_separators_are_decoded_before_matching() -> None:
    raw = "/media_stream-image/media%2Fwebside%252Fuploads/a.png/800/600/cover/center/FFF/0/80.webp"
    assert parse_image_path(raw).source.origin_path == "media/webside/uploads/a.png"


def test_encoded_option_segments_decode_too() -> None:
    request = parse_image_path(media_url("a.png", "%38%30%30/600/cover/center/%2523fff/0/80.webp"))
    assert request.box.width == 800
    assert request.background.rgba == (255, 255, 255, 255)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/plain/path", "/plain/path"),
        ("/a%2Fb", "/a/b"),
        ("/a%252Fb", "/a/b"),
        ("/a%25252Fb", "/a/b"),
        ("/100%25", "/100%"),
        ("/100%2525", "/100%"),
    ],
)
def test_decode_path(raw: str, expected: str) -> None:
    assert decode_path(raw) == expected


@pytest.mark.parametrize("raw", ["/a%zz", "/a%2525252Fb", "/a%ff", "/a%00", "/a/%2e%2e/b"])
def test_decode_path_refuses(raw: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        decode_path(raw)
    assert info.value.status == 400


@pytest.mark.parametrize(
    "name",
    ["online.png", "style.css.png", "foo..bar.png", ".png", "data.png", "public.png", "-x-.png"],
)
def test_names_pass_unchanged(name: str) -> None:
    assert parse_image_path(media_url(f"dir/{name}")).source.path == f"dir/{name}"
    assert parse_image_path(static_url(name)).source.path == name


@pytest.mark.parametrize("tenant", ["data", "public", "webside", "_", "a", "t_1", "a" * 63, "_9"])
def test_tenants_pass_unchanged(tenant: str) -> None:
    source = parse_image_path(media_url("online.png", tenant=tenant)).source
    assert source.kind is SourceKind.MEDIA
    assert source.tenant == tenant
    assert source.origin_path == f"media/{tenant}/uploads/online.png"


def test_the_static_route_is_the_public_tenant() -> None:
    source = parse_image_path(static_url("style.css.png")).source
    assert (source.kind, source.tenant, source.origin_path) == (
        SourceKind.STATIC,
        "public",
        "static/images/style.css.png",
    )


def test_a_media_route_for_tenant_public_is_not_the_static_route() -> None:
    media = parse_image_path(media_url("logo.png", tenant="public")).source
    static = parse_image_path(static_url("logo.png")).source
    assert media.origin_path != static.origin_path
    assert media != static


# --- 400: values that break the contract ------------------------------------------------------


@pytest.mark.parametrize(
    "tenant",
    [
        "Webside",
        "WEBSIDE",
        "1shop",
        "9",
        "a" * 64,
        "web-side",
        "web.side",
        "web%20side",
        "wébside",
        "",
    ],
)
def test_bad_tenants_are_refused(tenant: str) -> None:
    refused(media_url("a.png", tenant=tenant))


@pytest.mark.parametrize(
    "path",
    [
        # raw
        "..",
        "../etc/passwd",
        "products/../foo.jpg",
        "products/..",
        ".",
        "./foo.jpg",
        "products/./foo.jpg",
        # encoded once
        "%2e%2e/foo.jpg",
        "%2E%2E/foo.jpg",
        ".%2e/foo.jpg",
        "products/%2e/foo.jpg",
        "%2e%2e%2fetc%2fpasswd",
        "products%2F..%2Ffoo.jpg",
        # encoded twice
        "%252e%252e/foo.jpg",
        "%252E%252E/foo.jpg",
        "products%252F%252e%252e%252Ffoo.jpg",
        # encoded three times
        "%25252e%25252e/foo.jpg",
        "%25252e/foo.jpg",
        # encoded four times: over-encoded
        "%2525252e%2525252e/foo.jpg",
    ],
)
def test_dot_segments_are_refused_however_encoded(path: str) -> None:
    refused(media_url(path))


@pytest.mark.parametrize("image", ["..", ".", "%2e%2e", "%252e%252e", "%25252e%25252e"])
def test_dot_images_are_refused_on_the_static_route(image: str) -> None:
    refused(static_url(image))


@pytest.mark.parametrize(
    "path",
    [
        "a%2525252Fb.png",  # `/` encoded four times
        "my%25252520x.png",  # a space encoded four times
        "x%25252541.png",  # `A` encoded four times
        "x%252525252541.png",  # `A` encoded six times
    ],
)
def test_paths_encoded_more_than_three_times_are_refused(path: str) -> None:
    assert "more than three times" in refused(media_url(path)).message


@pytest.mark.parametrize(
    "path",
    [
        "a%00.png",
        "a%2500.png",
        "a%252500.png",
        "a%01.png",
        "a%09.png",
        "a%0A.png",
        "a%0d%0a.png",
        "a%1F.png",
        "a%7F.png",
        "a%C2%80.png",  # C1 control U+0080
        "a%C2%85.png",  # NEL
        "a%C2%9F.png",
        "a\x00.png",
        "a\t.png",
        "a\x7f.png",
        "a\x85.png",
    ],
)
def test_control_characters_are_refused(path: str) -> None:
    assert "control" in refused(media_url(path)).message


@pytest.mark.parametrize(
    "path", ["a%5Cb.png", "a%5cb.png", "a%255Cb.png", "a\\b.png", "%5C%5Chost"]
)
def test_backslashes_are_refused(path: str) -> None:
    assert "backslash" in refused(media_url(path)).message


@pytest.mark.parametrize(
    "path",
    [
        "http:foo.png",
        "http:evil.com%2Fx.png",
        "https:x.png",
        "HTTP:x.png",
        "file:etc%2Fpasswd",
        "javascript:alert.png",
        "data:image.png",
        "http%3Afoo.png",
        "http%253Afoo.png",
    ],
)
def test_a_scheme_at_the_start_of_the_path_is_refused(path: str) -> None:
    assert "scheme" in refused(media_url(path)).message


@pytest.mark.parametrize("image", ["http:logo.png", "https:logo.png", "http%3Alogo.png"])
def test_a_scheme_at_the_start_of_the_static_image_is_refused(image: str) -> None:
    assert "scheme" in refused(static_url(image)).message


@pytest.mark.parametrize(
    "path",
    [
        "http://evil.com/x.png",
        "http:%2F%2Fevil.com%2Fx.png",
        "%2F%2Fevil.com%2Fx.png",
    ],
)
def test_a_full_url_as_path_is_refused(path: str) -> None:
    refused(media_url(path))


@pytest.mark.parametrize(
    "path", ["products//foo.jpg", "/foo.jpg", "products/", "a%2F%2Fb.png", "a%252F%252Fb.png"]
)
def test_empty_segments_are_refused(path: str) -> None:
    refused(media_url(path))


@pytest.mark.parametrize(
    "value",
    ["8193", "10000", "99999", "100000", "-1", "abc", "1e3", "8.5", "0x10", "+5", "", "%205"],
)
@pytest.mark.parametrize("axis", ["width", "height"])
def test_bad_axes_are_refused(axis: str, value: str) -> None:
    refused(media_url("a.png", options(**{axis: value})))


@pytest.mark.parametrize(
    ("width", "height"),
    [("8000", "8000"), ("8192", "4051"), ("7681", "4320"), ("4320", "7681"), ("8192", "8192")],
)
def test_output_above_7680x4320_pixels_is_refused(width: str, height: str) -> None:
    assert "7680x4320" in refused(media_url("a.png", options(width=width, height=height))).message


@pytest.mark.parametrize(
    "fit", ["Contain", "COVER", "crop", "scale-down", "stretch", "", "%20cover"]
)
def test_unknown_fits_are_refused(fit: str) -> None:
    refused(media_url("a.png", options(fit=fit)))


@pytest.mark.parametrize(
    "position",
    ["Center", "CENTRE", "middle", "north-west", "top-left", "northwestern", "", "smart"],
)
def test_unknown_positions_are_refused(position: str) -> None:
    refused(media_url("a.png", options(position=position)))


@pytest.mark.parametrize(
    "background",
    [
        "transparen",
        "Transparent",
        "none",
        "white",
        "FFFF",
        "FF",
        "F",
        "FFFFF",
        "FFFFFFF",
        "FFFFFFFFF",
        "GGGGGG",
        "#12345",
        "#",
        "##FFF",
        "%23%23FFF",
        "rgb(0,0,0)",
        "0xFFFFFF",
        "",
    ],
)
def test_bad_backgrounds_are_refused(background: str) -> None:
    refused(media_url("a.png", options(background=background)))


@pytest.mark.parametrize("trim", ["101", "1000", "-1", "abc", "5.5", ""])
def test_bad_trims_are_refused(trim: str) -> None:
    refused(media_url("a.png", options(trim=trim)))


@pytest.mark.parametrize("quality", ["0", "00", "101", "999", "1000", "-1", "abc", ""])
def test_bad_qualities_are_refused(quality: str) -> None:
    refused(media_url("a.png", options(quality=quality)))


@pytest.mark.parametrize(
    "last",
    [
        "80.bmp",
        "80.WEBP",
        "80.Jpg",
        "80.JPG",
        "80.tif",
        "80.heic",
        "80.jpe",
        "80.webp2",
        "80.",
        "80",
        ".webp",
        "80.webp.webp",
        "80.webp%20",
        "80_webp",
    ],
)
def test_bad_last_segments_are_refused(last: str) -> None:
    refused(media_url("a.png", f"800/600/cover/center/FFFFFF/0/{last}"))


@pytest.mark.parametrize(
    "path", ["a%zz.png", "a%4.png", "a%.png", "a%", "a%%41.png", "a%g0.png", "a%2%41.png"]
)
def test_malformed_escapes_are_refused(path: str) -> None:
    assert "malformed" in refused(media_url(path)).message


@pytest.mark.parametrize(
    "path",
    [
        "a%ff.png",
        "a%FF%FE.png",
        "a%C3.png",  # truncated sequence
        "a%C0%AF.png",  # overlong encoding of `/`
        "a%ED%A0%80.png",  # an encoded surrogate
        "a%25ff.png",  # invalid once decoded twice
        "a%2525C3.png",
    ],
)
def test_escapes_that_are_not_utf8_are_refused(path: str) -> None:
    assert "UTF-8" in refused(media_url(path)).message


def test_a_lone_surrogate_in_the_path_is_refused() -> None:
    # what `bytes.decode("utf-8", "surrogateescape")` makes of an undecodable raw byte
    refused(media_url("a\udcff.png"))


# --- 404: under the prefix, but neither route -------------------------------------------------


@pytest.mark.parametrize(
    "raw_path",
    [
        "/media_stream-image",
        "/media_stream-image/",
        "/media_stream-image/foo",
        "/media_stream-image/foo/bar/baz",
        "/elsewhere/media/webside/uploads/a.png/800/600/cover/center/FFFFFF/0/80.webp",
        # a wrong literal segment
        "/media_stream-image/medias/webside/uploads/a.png/" + OPTIONS,
        "/media_stream-image/media/webside/upload/a.png/" + OPTIONS,
        "/media_stream-image/static/image/logo.png/" + OPTIONS,
        "/media_stream-image/statics/images/logo.png/" + OPTIONS,
        "/media_stream-image/images/logo.png/" + OPTIONS,
        "/media_stream-image/media/webside/a.png/" + OPTIONS,
        # missing segments
        "/media_stream-image/media/webside/uploads/" + OPTIONS,
        "/media_stream-image/media/webside/uploads/a.png/800/cover/center/FFFFFF/0/80.webp",
        "/media_stream-image/media/webside/uploads/a.png",
        "/media_stream-image/media/uploads/a.png/" + OPTIONS,
        "/media_stream-image/static/images/" + OPTIONS,
        "/media_stream-image/static/images/logo.png/0/contain/entropy/transparent/0/80.avif",
        "/media_stream-image/static/images/logo.png",
        # the static image is one segment, however it is written
        "/media_stream-image/static/images/a/b.png/" + OPTIONS,
        "/media_stream-image/static/images/a/b/c.png/" + OPTIONS,
        "/media_stream-image/static/images/a%2Fb.png/" + OPTIONS,
        "/media_stream-image/static/images/a%252Fb.png/" + OPTIONS,
    ],
)
def test_paths_matching_neither_route_are_not_found(raw_path: str) -> None:
    not_found(raw_path)


def test_a_missing_option_after_a_nested_path_reads_as_a_bad_width() -> None:
    # `path+` is greedy: `products` is the path and `foo.jpg` lands in the width segment
    message = refused(
        media_url("products/foo.jpg", "800/contain/entropy/transparent/5/80.webp")
    ).message
    assert "width" in message


# --- lengths ----------------------------------------------------------------------------------


def url_of_length(length: int) -> str:
    base = media_url("x", OPTIONS)
    filler = length - len(base)
    segments = ["a" * MAX_SEGMENT_LENGTH] * (filler // (MAX_SEGMENT_LENGTH + 1))
    rest = filler - len(segments) * (MAX_SEGMENT_LENGTH + 1)
    path = "/".join([*segments, "x" * (rest + 1)])
    raw = media_url(path, OPTIONS)
    assert len(raw) == length
    return raw


def test_a_path_of_max_length_is_accepted() -> None:
    raw = url_of_length(DEFAULT_MAX_PATH_LENGTH)
    assert parse_image_path(raw).box.width == 800


@pytest.mark.parametrize("length", [DEFAULT_MAX_PATH_LENGTH + 1, DEFAULT_MAX_PATH_LENGTH + 500])
def test_a_path_over_max_length_is_refused(length: int) -> None:
    assert "longer than" in refused(url_of_length(length)).message


def test_max_length_is_configurable() -> None:
    raw = media_url("a.png")
    assert parse_image_path(raw, max_length=len(raw)).source.path == "a.png"
    refused(raw, max_length=len(raw) - 1)


def test_max_length_counts_the_raw_path() -> None:
    raw = media_url("%41" * 30 + ".png")
    refused(raw, max_length=len(raw) - 1)


@pytest.mark.parametrize(
    "path",
    [
        "a" * MAX_SEGMENT_LENGTH,
        "dir/" + "a" * (MAX_SEGMENT_LENGTH - 4) + ".png",
        "%41" * MAX_SEGMENT_LENGTH,  # 765 raw characters, 255 once decoded
    ],
)
def test_a_segment_of_255_characters_is_accepted(path: str) -> None:
    assert len(parse_image_path(media_url(path)).source.path.rsplit("/", 1)[-1]) == 255


@pytest.mark.parametrize(
    "path",
    [
        "a" * (MAX_SEGMENT_LENGTH + 1),
        "dir/" + "a" * (MAX_SEGMENT_LENGTH - 3) + ".png",
        "%41" * (MAX_SEGMENT_LENGTH + 1),
        "a%2F" + "b" * (MAX_SEGMENT_LENGTH + 1),
    ],
)
def test_a_segment_over_255_characters_is_refused(path: str) -> None:
    assert "segment is longer" in refused(media_url(path)).message


def test_a_static_image_over_255_characters_is_refused() -> None:
    refused(static_url("a" * (MAX_SEGMENT_LENGTH + 1)))
