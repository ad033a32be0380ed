"""Correlation IDs: keep a caller's sane token, otherwise make a new one."""

from __future__ import annotations

import os
import re

_SANE_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,128}")
# RFC 4122 version 4: the version nibble set to 4, the variant bits to 10
_VERSION_4 = (0x4 << 76) | (0x2 << 62)
_RANDOM_BITS = ((1 << 128) - 1) ^ (0xF << 76) ^ (0x3 << 62)


def correlation_id(candidate: str | None) -> str:
    """The caller's ID when it is at most 128 chars of `[A-Za-z0-9._-]`, else a new UUID4."""
    if candidate is not None and _SANE_TOKEN.fullmatch(candidate):
        return candidate
    return new_uuid4()


def new_uuid4() -> str:
    """A random UUID4 in its canonical text form (what `str(uuid.uuid4())` gives, written
    without building a `UUID`: that object costs four times the randomness)."""
    bits = int.from_bytes(os.urandom(16)) & _RANDOM_BITS | _VERSION_4
    digits = f"{bits:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
