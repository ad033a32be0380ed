"""Named presets: a name stands for the seven option segments of an image URL.

IMAGE_PRESETS={"thumb": "300/300/cover/attention/transparent/0/80.webp"}
/media_stream-image/preset/thumb/media/{tenant}/uploads/{path+}
  is the same request (the same result key, one cached result) as
/media_stream-image/media/{tenant}/uploads/{path+}/300/300/cover/attention/transparent/0/80.webp
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.errors import InvalidRequest
from domain.request import PUBLIC_TENANT, ImageRequest, ImageSource, SourceKind
from domain.route import (
    DEFAULT_MAX_PATH_LENGTH,
    OPTION_SEGMENTS,
    PREFIX,
    RouteNotFound,
    decode_path,
    parse_options,
    parse_source,
)

PRESET_PREFIX = PREFIX + "preset/"
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# what a preset's options are checked against when the presets are read
_PROBE = ImageSource(SourceKind.STATIC, PUBLIC_TENANT, "probe.png")


class PresetError(ValueError):
    """A preset that cannot be used; the message names it."""


class PresetNotFound(InvalidRequest):
    """A preset URL names no configured preset."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no preset is named {name!r}", code="PRESET_NOT_FOUND", status=404)


def is_preset_path(raw_path: str) -> bool:
    """True when the path is under the preset route (and so must name a preset)."""
    return raw_path.startswith(PRESET_PREFIX)


@dataclass(frozen=True, slots=True)
class Preset:
    """One named set of options, as the seven URL segments they spell."""

    name: str
    options: tuple[str, ...]

    @classmethod
    def parse(cls, name: object, value: object) -> Preset:
        """The preset `name` spelling `value`; `PresetError` naming it when either is bad."""
        if not isinstance(name, str) or PRESET_NAME.fullmatch(name) is None:
            raise PresetError(
                f"preset name {name!r} must be 1-64 letters, digits, '_' or '-' "
                "(starting with a letter or digit)"
            )
        if not isinstance(value, str):
            raise PresetError(f"preset {name!r}: the options must be a string, got {value!r}")
        options = tuple(value.strip().strip("/").split("/"))
        if len(options) != OPTION_SEGMENTS:
            raise PresetError(
                f"preset {name!r}: {value!r} must be "
                "'{width}/{height}/{fit}/{position}/{background}/{trim}/{quality}.{format}'"
            )
        preset = cls(name, options)
        try:
            preset.request_for(_PROBE)
        except InvalidRequest as exc:
            raise PresetError(f"preset {name!r}: {exc.message}") from exc
        return preset

    def request_for(self, source: ImageSource) -> ImageRequest:
        """The request this preset makes of `source`."""
        return parse_options(source, list(self.options))

    @property
    def spelled_out(self) -> str:
        """The options as they appear in a spelled-out URL."""
        return "/".join(self.options)


@dataclass(frozen=True, slots=True)
class Presets:
    """The configured presets, by name (none by default)."""

    by_name: Mapping[str, Preset] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def parse(cls, mapping: Mapping[object, object]) -> Presets:
        """Presets from a name -> options mapping; `PresetError` names the first bad one."""
        presets = [Preset.parse(name, value) for name, value in mapping.items()]
        return cls(MappingProxyType({preset.name: preset for preset in presets}))

    def __len__(self) -> int:
        return len(self.by_name)

    def request_of(
        self, raw_path: str, *, max_length: int = DEFAULT_MAX_PATH_LENGTH
    ) -> ImageRequest:
        """Parse `/media_stream-image/preset/{name}/{source}` (raw, still percent-encoded).

        400 for a bad source, 404 for an unknown preset or a source of neither shape.
        """
        if len(raw_path) > max_length:
            raise InvalidRequest(f"path is longer than {max_length} characters")
        path = decode_path(raw_path)
        if not path.startswith(PRESET_PREFIX):
            raise RouteNotFound("not a preset route")
        name, _, rest = path[len(PRESET_PREFIX) :].partition("/")
        preset = self.by_name.get(name)
        if preset is None:
            raise PresetNotFound(name)
        return preset.request_for(parse_source(rest.split("/")))
