"""Errors of the domain: a request that breaks the contract.

DomainError
└── InvalidRequest      the request itself is wrong (route, parameter, encoding, policy);
                        answered with a JSON error and a 4xx status, never a fallback image
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
