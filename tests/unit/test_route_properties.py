"""Properties of the route parser over generated paths: it refuses only with a validation error,
what it accepts is safe, and what it accepts round-trips through the canonical URL."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidRequest
from domain.formats import RequestedFormat
from domain.request import ImageRequest, ImageSource, SourceKind
from domain.route import PREFIX, format_image_path, parse_image_path
from domain.transform import MAX_OUTPUT_PIXELS, Background, Box, Fit, Position

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# pieces an attacker (or a rich-text editor) puts in URLs
HOSTILE_PIECES = [
    "..",
    ".",
    "",
    "%2e%2e",
    "%252e%252e",
    "%25252e",
    "%00",
    "%",
    "%zz",
    "%C0%AE",
    "%ff",
    "\\",
    "%5c",
    "http:",
    "javascript:alert(1)",
    "/",
    "%2f",
    "\x00",
    "\x7f",
    "\u0085",
    "\u202e",
    "é",
    "online.png",
    "style.css.png",
    "data",
    "a" * 300,
]
OPTION_PIECES = [
    "0",
    "800",
    "8192",
    "99999",
    "-1",
    "1e3",
    *[fit.value for fit in Fit],
    "centre",
    "north",
    "entropy",
    "transparent",
    "FFF",
    "%23FFFFFF",
    "00ff0080",
    "80.webp",
    "80.jpg",
    "1.auto",
    "100.svg",
    "0.png",
    "80.bmp",
]
segment = st.one_of(
    st.sampled_from(HOSTILE_PIECES),
    st.sampled_from(OPTION_PIECES),
    st.text(max_size=12),
    st.text(alphabet="%25abcdef0123456789./", max_size=12),
)
route_head = st.sampled_from(
    [
        "media/acme/uploads",
        "media/data/uploads",
        "static/images",
        "%6Dedia/acme/uploads",
        "media/Bad/uploads",
        "media",
    ]
)


OPTION_VALUES = [  # per option: valid values (encoded ones too) and a near miss or two
    st.sampled_from(["0", "1", "800", "8192", "%38%30%30", "-1"]),
    st.sampled_from(["0", "600", "4320", "%34%33%32%30", "1e3"]),
    st.sampled_from([*[fit.value for fit in Fit], "%63over", "Cover"]),
    st.sampled_from([*[p.value for p in Position], "centre", "north", "%65ntropy", "middle"]),
    st.sampled_from(["transparent", "FFF", "%23FFFFFF", "%2523abc", "00ff0080", "red"]),
    st.sampled_from(["0", "5", "100", "%35", "101"]),
    st.sampled_from(["80.webp", "80.jpg", "1.auto", "100.svg", "0.png", "80.bmp"]),
]


@st.composite
def raw_paths(draw: st.DrawFn) -> str:
    """A path under the image prefix: a route head, source segments of every kind, then the
    seven options, each mostly valid (so that many paths parse) and sometimes anything."""
    source = draw(st.lists(st.one_of(*[plain_names] * 6, segment), min_size=1, max_size=4))
    options = [
        draw(segment if draw(st.integers(0, 19)) == 0 else values) for values in OPTION_VALUES
    ]
    tail = draw(st.lists(segment, max_size=1)) if draw(st.integers(0, 9)) == 0 else []
    return PREFIX + draw(route_head) + "/" + "/".join([*source, *options, *tail])


def _safe_name(text: str) -> bool:
    return all(unicodedata.category(ch) != "Cc" for ch in text) and "\\" not in text


plain_names = st.text(alphabet="abcxyzABC0129-_.~ ()+,;=@!$&'é中", min_size=1, max_size=20).filter(
    lambda name: name.strip(".") != ""
)
# A name holding a percent-escape ("%20") cannot round-trip: the route decodes up to three
# times (ADR 4), so such a name is read as what it escapes. A lone `%` does round-trip.
_ESCAPE_IN_NAME = re.compile(r"%[0-9A-Fa-f]{2}")
names = st.text(min_size=1, max_size=40).filter(
    lambda name: (
        name not in {".", ".."}
        and "/" not in name
        and _safe_name(name)
        and _ESCAPE_IN_NAME.search(name) is None
    )
)


@st.composite
def image_requests(draw: st.DrawFn) -> ImageRequest:
    """A valid request: any safe names, any options within the limits."""
    parts = draw(st.lists(names, min_size=1, max_size=4))
    assume(SCHEME.match(parts[0]) is None)  # `http:...` is refused on purpose (ADR 4)
    if draw(st.booleans()):
        source = ImageSource(SourceKind.STATIC, "public", parts[0])
    else:
        tenant = draw(st.from_regex(r"[a-z_][a-z0-9_]{0,62}", fullmatch=True))
        source = ImageSource(SourceKind.MEDIA, tenant, "/".join(parts))
    width = draw(st.integers(0, 8192))
    most = MAX_OUTPUT_PIXELS // width if width else 8192
    height = draw(st.integers(0, min(8192, most)))
    return ImageRequest(
        source=source,
        box=Box(width, height),
        fit=draw(st.sampled_from(list(Fit))),
        position=draw(st.sampled_from(list(Position))),
        background=Background(*draw(st.tuples(*[st.integers(0, 255)] * 4))),
        trim=draw(st.integers(0, 100)),
        quality=draw(st.integers(1, 100)),
        format=draw(st.sampled_from(list(RequestedFormat))),
    )


def _accepted(raw_path: str) -> ImageRequest | None:
    try:
        return parse_image_path(raw_path)
    except InvalidRequest:
        return None


@PROPERTY
@given(st.text(max_size=300))
@example("/media_stream-image/" + "%25" * 700)
@example("\ud800")
def test_any_text_is_parsed_or_refused_with_a_validation_error(raw_path: str) -> None:
    _accepted(raw_path)  # anything but InvalidRequest fails the test


@PROPERTY
@given(raw_paths())
@example(PREFIX + "media/acme/uploads/a%252e%252e/1/1/fill/center/FFF/0/1.png")
@example(PREFIX + "static/images/100%25.jpg/0/0/contain/north/%23FFF/0/80.jpg")
def test_accepted_paths_are_safe_and_round_trip(raw_path: str) -> None:
    request = _accepted(raw_path)
    if request is None:
        return
    path = request.source.path
    assert all(segment not in {"", ".", ".."} for segment in path.split("/"))
    assert _safe_name(path)
    assert parse_image_path(format_image_path(request)) == request


@PROPERTY
@given(image_requests())
def test_every_valid_request_round_trips_through_its_canonical_path(request: ImageRequest) -> None:
    assert parse_image_path(format_image_path(request), max_length=16384) == request


@PROPERTY
@given(image_requests(), st.integers(0, 2))
def test_a_canonical_path_encoded_again_up_to_three_times_in_all_parses_the_same(
    request: ImageRequest, extra: int
) -> None:
    raw = format_image_path(request)
    if "%" in request.source.path and extra:
        extra = 0  # a literal `%XX` in a name would decode further: only the canonical form holds
    for _ in range(extra):
        raw = PREFIX + quote(raw[len(PREFIX) :], safe="/")
    assert parse_image_path(raw, max_length=16384) == request


@PROPERTY
@given(names, st.integers(1, 3))
def test_names_pass_unchanged_however_often_encoded(name: str, times: int) -> None:
    assume(SCHEME.match(name) is None)
    encoded = name
    for _ in range(times):
        encoded = quote(encoded, safe="")
    raw = f"{PREFIX}media/data/uploads/{encoded}/1/1/fill/center/FFF/0/1.png"
    request = _accepted(raw)
    if "%" in name:
        return  # a literal `%XX` in a name decodes further: refused or read as decoded
    assert request is not None
    assert request.source.path == name
    assert request.source.tenant == "data"
