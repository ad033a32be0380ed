"""Correlation IDs: keep a caller's sane token, otherwise make a new one."""

from __future__ import annotations

import re
import uuid

_SANE_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,128}")


def correlation_id(candidate: str | None) -> str:
    """The caller's ID when it is at most 128 chars of `[A-Za-z0-9._-]`, else a new UUID4."""
    if candidate is not None and _SANE_TOKEN.fullmatch(candidate):
        return candidate
    return str(uuid.uuid4())
