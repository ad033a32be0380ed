"""Content negotiation for `auto`: which modern formats a client names in its Accept header."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AcceptedFormats:
    """Whether AVIF and WebP were named explicitly (wildcards do not count)."""

    avif: bool = False
    webp: bool = False

    @classmethod
    def from_header(cls, accept: str | None) -> AcceptedFormats:
        named = _named_types(accept or "")
        return cls(avif="image/avif" in named, webp="image/webp" in named)


def _named_types(accept: str) -> set[str]:
    """Media types listed with a non-zero quality."""
    named: set[str] = set()
    for item in accept.split(","):
        media_type, _, params = item.strip().partition(";")
        if _quality(params) > 0:
            named.add(media_type.strip().lower())
    return named


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
