"""The shared secret that guards internal routes."""

from __future__ import annotations

import hmac


def secret_matches(expected: str, offered: str | None) -> bool:
    """True when `offered` equals a configured `expected` secret, compared in constant time.

    An unset secret matches nothing: guarded routes fail closed.
    """
    if not expected or offered is None:
        return False
    return hmac.compare_digest(expected.encode(), offered.encode())
