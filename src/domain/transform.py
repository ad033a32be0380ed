"""What to do to an original: the value objects of one transformation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidRequest
from domain.formats import OutputFormat

MAX_AXIS = 8192
MAX_OUTPUT_PIXELS = 7680 * 4320
MAX_TRIM = 100


class Fit(StrEnum):
    """How the original is fitted into the requested box."""

    CONTAIN = "contain"  # letterbox to exactly w x h with the background
    COVER = "cover"  # crop to exactly w x h
    FILL = "fill"  # stretch to w x h
    INSIDE = "inside"  # fit within the box, keep the aspect ratio
    OUTSIDE = "outside"  # cover the box, keep the aspect ratio, no crop


class Position(StrEnum):
    """Where `cover` crops and `contain` places the image."""

    CENTER = "center"
    TOP = "top"
    BOTTOM = "bottom"
    LEFT = "left"
    RIGHT = "right"
    NORTHWEST = "northwest"
    NORTHEAST = "northeast"
    SOUTHWEST = "southwest"
    SOUTHEAST = "southeast"
    ENTROPY = "entropy"  # keep the busiest region
    ATTENTION = "attention"  # keep the most salient region

    @classmethod
    def parse(cls, text: str) -> Position | None:
        """The position a URL segment names (aliases included), or None."""
        try:
            return cls(_POSITION_ALIASES.get(text, text))
        except ValueError:
            return None

    @property
    def gravity(self) -> tuple[float, float]:
        """Horizontal and vertical anchor in 0..1 (0 = left/top); content-aware ones centre."""
        return _GRAVITY.get(self, (0.5, 0.5))

    @property
    def is_content_aware(self) -> bool:
        return self in {Position.ENTROPY, Position.ATTENTION}


_POSITION_ALIASES = {
    "centre": "center",
    "north": "top",
    "south": "bottom",
    "west": "left",
    "east": "right",
}

_GRAVITY = {
    Position.TOP: (0.5, 0.0),
    Position.BOTTOM: (0.5, 1.0),
    Position.LEFT: (0.0, 0.5),
    Position.RIGHT: (1.0, 0.5),
    Position.NORTHWEST: (0.0, 0.0),
    Position.NORTHEAST: (1.0, 0.0),
    Position.SOUTHWEST: (0.0, 1.0),
    Position.SOUTHEAST: (1.0, 1.0),
}

_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


@dataclass(frozen=True, slots=True)
class Background:
    """An RGBA colour; alpha 0 is transparent."""

    red: int
    green: int
    blue: int
    alpha: int = 255

    TRANSPARENT_NAME = "transparent"

    @classmethod
    def parse(cls, text: str) -> Background:
        """`transparent`, or hex `RGB`, `RRGGBB`, `RRGGBBAA` with or without `#`."""
        if text == cls.TRANSPARENT_NAME:
            return cls(0, 0, 0, 0)
        match = _HEX_COLOUR.fullmatch(text)
        if match is None:
            raise InvalidRequest(f"background must be 'transparent' or a hex colour, got {text!r}")
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        if len(digits) == 6:
            digits += "ff"
        red, green, blue, alpha = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
        return cls(red, green, blue, alpha)

    @property
    def is_transparent(self) -> bool:
        return self.alpha == 0

    @property
    def rgba(self) -> tuple[int, int, int, int]:
        return (self.red, self.green, self.blue, self.alpha)

    @property
    def flatten_colour(self) -> tuple[int, int, int]:
        """The colour transparency is flattened onto for formats without alpha."""
        if self.is_transparent:
            return (255, 255, 255)
        return (self.red, self.green, self.blue)

    def __str__(self) -> str:
        return "{:02x}{:02x}{:02x}{:02x}".format(*self.rgba)


@dataclass(frozen=True, slots=True)
class Box:
    """The requested output box; 0 on an axis means that axis is not constrained."""

    width: int
    height: int

    def __post_init__(self) -> None:
        for name, value in (("width", self.width), ("height", self.height)):
            if not 0 <= value <= MAX_AXIS:
                raise InvalidRequest(f"{name} must be an integer in 0..{MAX_AXIS}, got {value}")
        if self.width * self.height > MAX_OUTPUT_PIXELS:
            raise InvalidRequest(
                f"output of {self.width}x{self.height} is above the limit of 7680x4320 pixels"
            )


@dataclass(frozen=True, slots=True)
class TransformSpec:
    """Everything the processor needs to turn an original into one result.

    `alpha_format`, when set, replaces `format` for an image that has transparency
    (the `auto` rule: JPEG for opaque images, PNG for images with alpha).
    """

    box: Box
    fit: Fit
    position: Position
    background: Background
    trim: int
    quality: int
    format: OutputFormat
    alpha_format: OutputFormat | None = None

    @property
    def canonical(self) -> str:
        """A stable text form of every option, used to key results."""
        return "|".join(
            (
                str(self.box.width),
                str(self.box.height),
                self.fit.value,
                self.position.value,
                str(self.background),
                str(self.trim),
                str(self.quality),
                self.format.value,
                self.alpha_format.value if self.alpha_format else "-",
            )
        )
