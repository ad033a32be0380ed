"""Errors of the domain: a request that breaks the contract.

DomainError
├── InvalidRequest      the request itself is wrong (route, parameter, encoding, policy);
│                       answered with a JSON error and a 4xx status, never a fallback image
└── AmbiguousHost       a host that spells an IP address in a non-canonical form (`2130706433`,
                        `0177.0.0.1`, `0x7f.1`): refused wherever a host is accepted
"""

from __future__ import annotations


class DomainError(Exception):
    """Root of every error the domain raises."""


class InvalidRequest(DomainError):
    """The request breaks the URL contract; `status` and `code` say how to answer it."""

    def __init__(self, message: str, *, code: str = "INVALID_REQUEST", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class AmbiguousHost(DomainError):
    """A host spelled as a number in a form other than a canonical IP literal (`0x7f.1`)."""
