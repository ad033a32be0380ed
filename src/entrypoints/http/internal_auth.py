"""The `X-Internal-Secret` guard of the operator routes: constant-time, fail closed."""

from __future__ import annotations

import hmac

HEADER = "x-internal-secret"


def internal_secret_matches(configured: str, offered: str | None) -> bool:
    """True only when a secret is configured and `offered` equals it (compared in constant
    time); an unset INTERNAL_ADMIN_SECRET never matches."""
    if not configured or offered is None:
        return False
    return hmac.compare_digest(offered.encode("utf-8"), configured.encode("utf-8"))
