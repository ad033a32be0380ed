"""What the info route answers about an original, and the route's URL grammar.

/media_stream-meta/media/{tenant}/uploads/{path+}
/media_stream-meta/static/images/{image}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from domain.errors import InvalidRequest
from domain.request import ImageSource, ResultKey
from domain.route import DEFAULT_MAX_PATH_LENGTH, RouteNotFound, decode_path, parse_source

META_PREFIX = "/media_stream-meta/"
# distinct from the image results' `v1`: an info entry can never be read as an image result
INFO_KEY_VERSION = "info-v1"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An original's facts: upright size, format, frames, alpha, bytes, colour, placeholder."""

    width: int
    height: int
    format: str
    frames: int
    has_alpha: bool
    byte_size: int
    dominant_color: str
    thumbhash: str
    preview: str

    def as_json(self) -> dict[str, object]:
        """The JSON body of the info route (camelCase, like the error bodies)."""
        return {
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "frames": self.frames,
            "hasAlpha": self.has_alpha,
            "bytes": self.byte_size,
            "dominantColor": self.dominant_color,
            "thumbhash": self.thumbhash,
            "preview": self.preview,
        }

    def encoded(self) -> bytes:
        """The body as stored and sent: compact JSON, keys in a fixed order."""
        return json.dumps(self.as_json(), separators=(",", ":")).encode()


def is_info_path(raw_path: str) -> bool:
    """True when the path is under the info prefix (and so must parse or be refused)."""
    return raw_path.startswith(META_PREFIX)


def parse_info_path(raw_path: str, *, max_length: int = DEFAULT_MAX_PATH_LENGTH) -> ImageSource:
    """The original an info path names; decoded and checked exactly like an image path."""
    if len(raw_path) > max_length:
        raise InvalidRequest(f"path is longer than {max_length} characters")
    path = decode_path(raw_path)
    if len(path) > max_length:
        raise InvalidRequest(f"path is longer than {max_length} characters")
    if not path.startswith(META_PREFIX):
        raise RouteNotFound("not an info route")
    return parse_source(path[len(META_PREFIX) :].split("/"))


def info_key(source: ImageSource) -> ResultKey:
    """The key an original's info is cached under: its tenant (so a tenant flush drops it)
    and a digest in a namespace of its own (`info-v1`), never equal to an image result's."""
    text = "\n".join((INFO_KEY_VERSION, source.kind.value, source.tenant, source.path))
    return ResultKey(source.tenant, hashlib.sha256(text.encode()).hexdigest())
