"""Signed URLs: an HMAC-SHA256 of the request path, so only URLs the shop made are served.

A signature is the unpadded base64url of HMAC-SHA256(key, path), where the path is the URL's
path exactly as sent (still percent-encoded, without the query string), and travels as the
query parameter `s`. Several keys may be in force at once: URLs are signed with the first,
and a signature made with any of them is accepted, so a key can be rotated without breaking
the URLs already published (ADR 24).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from domain.errors import InvalidRequest

SIGNATURE_PARAMETER = "s"
MIN_KEY_LENGTH = 16


class SignatureRefused(InvalidRequest):
    """The URL is unsigned where a signature is required, or its signature does not match."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="INVALID_SIGNATURE", status=403)


@dataclass(frozen=True, slots=True)
class UrlSigner:
    """Signs paths with the first of `keys` and accepts a signature made with any of them."""

    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a URL signer needs at least one key")
        for position, key in enumerate(self.keys, start=1):
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(
                    f"signing key {position} is shorter than {MIN_KEY_LENGTH} characters"
                )

    def sign(self, path: str) -> str:
        """The signature of `path` with the current (first) key."""
        return _signature(self.keys[0], path)

    def signed(self, path: str) -> str:
        """`path` with its signature appended as the `s` query parameter."""
        separator = "&" if "?" in path else "?"
        return f"{path}{separator}{SIGNATURE_PARAMETER}={self.sign(path.partition('?')[0])}"

    def verifies(self, path: str, signature: str) -> bool:
        """Whether `signature` is that of `path` under any key, compared in constant time.

        Every key is tried, matching or not, so the time taken says nothing about which key
        (if any) matched.
        """
        offered = signature.encode("ascii", "replace")
        matched = False
        for key in self.keys:
            matched |= hmac.compare_digest(_signature(key, path).encode("ascii"), offered)
        return matched


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    """What a request's signature must be: checked when present, demanded when `required`."""

    signer: UrlSigner | None = None
    required: bool = False

    def __post_init__(self) -> None:
        if self.required and self.signer is None:
            raise ValueError("signatures cannot be required without a signing key")

    def check(self, path: str, signature: str | None) -> None:
        """Raise `SignatureRefused` unless the request may go on.

        Without keys a signature is not looked at (URLs that happen to carry `s` keep
        working). With keys, a signature that is present must match; an absent one is
        refused only when signatures are required.
        """
        if self.signer is None:
            return
        if signature is None:
            if self.required:
                raise SignatureRefused("this URL must be signed")
            return
        if not self.signer.verifies(path, signature):
            raise SignatureRefused("the URL's signature does not match")


def _signature(key: str, path: str) -> str:
    digest = hmac.new(key.encode(), path.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")
