"""The URL grammar of the two image routes, parsed strictly and never rewritten.

/media_stream-image/media/{tenant}/uploads/{path+}/{w}/{h}/{fit}/{position}/{bg}/{trim}/{q}.{fmt}
/media_stream-image/static/images/{image}/{w}/{h}/{fit}/{position}/{bg}/{trim}/{q}.{fmt}
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from domain.errors import InvalidRequest
from domain.formats import RequestedFormat
from domain.request import PUBLIC_TENANT, ImageRequest, ImageSource, SourceKind
from domain.tenant import TENANT_PATTERN
from domain.transform import Background, Box, Fit, Position

PREFIX = "/media_stream-image/"
MAX_DECODE_PASSES = 3
DEFAULT_MAX_PATH_LENGTH = 2048
MAX_SEGMENT_LENGTH = 255
OPTION_SEGMENTS = 7
PARSED_PATHS_REMEMBERED = 4096

_TENANT = TENANT_PATTERN
_INTEGER = re.compile(r"[0-9]{1,5}")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
# exactly the Unicode category Cc: C0 controls, DEL and the C1 range; one regex scan where a
# per-character category lookup cost a hit a tenth of its time
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LAST_SEGMENT = re.compile(r"([0-9]{1,3})\.([a-z]{3,4})")


class RouteNotFound(InvalidRequest):
    """Under the image prefix, but matching neither image route."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="NOT_FOUND", status=404)


def is_image_path(raw_path: str) -> bool:
    """True when the path is under the image prefix (and so must parse or be refused)."""
    return raw_path.startswith(PREFIX)


@lru_cache(maxsize=PARSED_PATHS_REMEMBERED)
def tenant_in(raw_path: str) -> str | None:
    """The tenant an image path names, without validating the rest of it (None when it names
    no valid tenant or does not decode); `static/images/...` is the public tenant.

    Remembered like parsed paths: the rate limits ask it of every image request, and a hot
    image is asked for again and again."""
    try:
        segments = decode_path(raw_path)[len(PREFIX) :].split("/")
    except InvalidRequest:
        return None
    if len(segments) > 2 and segments[0] == "static" and segments[1] == "images":
        return PUBLIC_TENANT
    if len(segments) > 3 and segments[0] == "media" and segments[2] == "uploads":
        return segments[1] if _TENANT.fullmatch(segments[1]) else None
    return None


def parse_image_path(raw_path: str, *, max_length: int = DEFAULT_MAX_PATH_LENGTH) -> ImageRequest:
    """Parse a raw (still percent-encoded) request path into an `ImageRequest`.

    Raises `InvalidRequest` (400) for a bad value and `RouteNotFound` (404) for a path under
    the prefix that matches neither route. Accepted paths are remembered (the result is
    immutable), so a hot image costs one dictionary lookup here; refusals are not.
    """
    return _parse_remembered(raw_path, max_length)


@lru_cache(maxsize=PARSED_PATHS_REMEMBERED)
def _parse_remembered(raw_path: str, max_length: int) -> ImageRequest:
    return _parse(raw_path, max_length=max_length)


def _parse(raw_path: str, *, max_length: int) -> ImageRequest:
    if len(raw_path) > max_length:
        raise InvalidRequest(f"path is longer than {max_length} characters")
    path = decode_path(raw_path)
    if len(path) > max_length:
        raise InvalidRequest(f"path is longer than {max_length} characters")
    if not path.startswith(PREFIX):
        raise RouteNotFound("not an image route")
    segments = path[len(PREFIX) :].split("/")
    if len(segments) < OPTION_SEGMENTS + 3:
        raise RouteNotFound("path matches neither image route")
    source = parse_source(segments[:-OPTION_SEGMENTS])
    return parse_options(source, segments[-OPTION_SEGMENTS:])


def decode_path(raw_path: str) -> str:
    """Percent-decode up to three times until stable; a malformed or over-encoded path is 400."""
    current = raw_path
    for attempt in range(MAX_DECODE_PASSES):
        decoded = _percent_decode(current, strict=attempt == 0)
        _refuse_unsafe_characters(decoded)
        if decoded == current:
            return decoded
        current = decoded
    if _percent_decode(current, strict=False) != current:
        raise InvalidRequest("path is percent-encoded more than three times")
    return current


def _percent_decode(text: str, *, strict: bool) -> str:
    """Decode `%XX` escapes as UTF-8; a stray `%` is an error on the first pass, literal after."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from surrogateescape decoding
        raise InvalidRequest("path is not valid text") from exc
    if strict and raw.count(b"%") != len(_ESCAPE.findall(raw)):
        raise InvalidRequest("path holds a malformed percent-escape")
    decoded = _ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), raw)
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("path does not decode to UTF-8") from exc


def _refuse_unsafe_characters(path: str) -> None:
    # Cc, not just < 0x20: DEL and the C1 range (U+0080..U+009F) corrupt file names and logs too
    if _CONTROL.search(path):
        raise InvalidRequest("path holds a control character")
    if "\\" in path:
        raise InvalidRequest("path holds a backslash")
    if any(segment in {".", ".."} for segment in path.split("/")):
        raise InvalidRequest("path holds a '.' or '..' segment")


def parse_source(segments: list[str]) -> ImageSource:
    """The original named by decoded segments `media/{tenant}/uploads/{path+}` or
    `static/images/{image}`; 400 for a bad tenant or path, 404 for neither shape."""
    if len(segments) >= 4 and segments[0] == "media" and segments[2] == "uploads":
        tenant = segments[1]
        if _TENANT.fullmatch(tenant) is None:
            raise InvalidRequest(f"tenant {tenant!r} is not a valid schema name")
        return ImageSource(SourceKind.MEDIA, tenant, _checked_path(segments[3:]))
    if len(segments) == 3 and segments[0] == "static" and segments[1] == "images":
        return ImageSource(SourceKind.STATIC, PUBLIC_TENANT, _checked_path(segments[2:]))
    raise RouteNotFound("path matches neither image route")


def _checked_path(segments: list[str]) -> str:
    for segment in segments:
        if not segment:
            raise InvalidRequest("image path holds an empty segment")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidRequest(f"image path segment is longer than {MAX_SEGMENT_LENGTH}")
    path = "/".join(segments)
    if _SCHEME.match(path):
        raise InvalidRequest("image path must not carry a scheme")
    return path


def parse_options(source: ImageSource, options: list[str]) -> ImageRequest:
    """The request for `source` with the seven decoded option segments
    `{w}/{h}/{fit}/{position}/{bg}/{trim}/{q}.{fmt}`; 400 for a bad value."""
    width_text, height_text, fit_text, position_text, background_text, trim_text, last = options
    last_match = _LAST_SEGMENT.fullmatch(last)
    if last_match is None:
        raise InvalidRequest(f"last segment must be '{{quality}}.{{format}}', got {last!r}")
    quality_text, format_text = last_match.groups()
    fit = _enum_value(Fit, fit_text, "fit")
    position = Position.parse(position_text)
    if position is None:
        raise InvalidRequest(f"position {position_text!r} is not one of the known positions")
    requested_format = RequestedFormat.parse(format_text)
    if requested_format is None:
        raise InvalidRequest(f"format {format_text!r} is not supported")
    return ImageRequest(
        source=source,
        box=Box(_integer(width_text, "width"), _integer(height_text, "height")),
        fit=fit,
        position=position,
        background=Background.parse(background_text),
        trim=_integer(trim_text, "trim"),
        quality=_integer(quality_text, "quality"),
        format=requested_format,
    )


def _integer(text: str, name: str) -> int:
    if _INTEGER.fullmatch(text) is None:
        raise InvalidRequest(f"{name} must be a non-negative integer, got {text!r}")
    return int(text)


def _enum_value(enum: type[Fit], text: str, name: str) -> Fit:
    try:
        return enum(text)
    except ValueError as exc:
        raise InvalidRequest(f"{name} {text!r} is not one of {', '.join(enum)}") from exc


# characters a path segment may hold unescaped (RFC 3986 pchar less the percent sign)
_SEGMENT_SAFE = "!$&'()*+,;=:@"


def format_image_path(request: ImageRequest) -> str:
    """The canonical URL path of `request`: `parse_image_path` of it gives `request` back.

    Each path segment is percent-encoded once (so a `%` in a name stays a `%`), and every
    option is written in its canonical form (`jpg` as `jpeg`, colours as `rrggbbaa`).
    """
    source = request.source
    path = "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in source.path.split("/"))
    if source.kind is SourceKind.MEDIA:
        head = f"media/{source.tenant}/uploads/{path}"
    else:
        head = f"static/images/{path}"
    background = request.background
    options = (
        request.box.width,
        request.box.height,
        request.fit.value,
        request.position.value,
        Background.TRANSPARENT_NAME if background == Background(0, 0, 0, 0) else background,
        request.trim,
    )
    last = f"{request.quality}.{request.format.value}"
    return PREFIX + head + "/" + "/".join(str(option) for option in options) + "/" + last
