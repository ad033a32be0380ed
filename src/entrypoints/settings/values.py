"""What the settings' concerns share: errors, constants and parsing helpers."""

from __future__ import annotations

from pathlib import Path

from domain.addresses import canonical_host
from domain.errors import AmbiguousHost

SAMPLES_DIRECTORY = Path(__file__).resolve().parents[1] / "samples"
ONE_YEAR = 31_104_000
MIB = 1024 * 1024
HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


class SettingsError(Exception):
    """The environment holds an invalid setting; the message names the variable."""


def comma_list(value: object) -> object:
    """A comma-separated environment value as a tuple of its non-empty, trimmed parts."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(str(part).strip() for part in value if str(part).strip())
    return value


def refuse_ambiguous(host: str) -> None:
    """Raise ValueError when `host` spells an IP address other than as a.b.c.d."""
    try:
        canonical_host(host)
    except AmbiguousHost as exc:
        raise ValueError(f"{host!r} spells an IP address ambiguously; write it as a.b.c.d") from exc
