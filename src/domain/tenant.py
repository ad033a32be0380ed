"""Tenants: the shop schemas whose images the service keeps apart."""

from __future__ import annotations

import re

from domain.errors import InvalidRequest

TENANT_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def checked_tenant(name: object) -> str:
    """`name` when it is a valid tenant schema name, else `InvalidRequest` (400)."""
    if not isinstance(name, str) or TENANT_PATTERN.fullmatch(name) is None:
        raise InvalidRequest(f"tenant {name!r} is not a valid schema name")
    return name
