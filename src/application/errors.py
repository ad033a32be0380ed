"""Errors raised behind the ports, after a request was accepted.

Every one of them is answered with the fallback image; `reason` is its `X-Fallback` value.
`negative_cacheable` marks the answers that say something lasting about the original (it is
not there, it is not an image), which may be remembered for CACHE_IMAGE_NEGATIVE_TTL; network
errors, 5xx, timeouts and an open circuit never are.

ApplicationError
├── OriginError             the original could not be had
│   ├── OriginNotFound      the origin answered 4xx: the image is not there (negative-cacheable)
│   ├── OriginNotAnImage    the origin answered, but the body is no image (negative-cacheable)
│   ├── OriginRefused       policy refused the fetch (host, address, redirect, encoding)
│   ├── OriginTooLarge      the body is larger than its cap
│   ├── OriginUnavailable   network error or 5xx
│   │   └── OriginUnresolvable  the origin's name does not resolve
│   ├── OriginTimeout       no answer within the deadline
│   └── CircuitOpen         the origin failed too often lately; it was not asked
└── ProcessingError         the original could not be turned into the result
    ├── NotAnImage          the bytes are not an image of a known format
    │   └── UnsupportedFormat   an image, in a format there is no decoder for (HEIF): lasting,
    │                           so negative-cacheable
    ├── DecodeFailed        a known format, but truncated or corrupt
    ├── DecompressionBomb   the image is larger (pixels, frames) than the limits allow
    ├── OutputTooLarge      the result would exceed the output pixel limit
    └── ProcessingTimeout   the render took longer than its time budget

CacheUnavailable            a shared cache cannot be reached by an administrative operation
                            (flush, stats); never raised on the request path, no fallback
AccessIndexUnavailable      the access index (ACCESS_INDEX_URL) cannot be read or written; the
                            request path never waits on it (counts stay buffered, ADR 22)
TenantDomainsUnavailable    the tenant-domain list could not be refreshed; never reaches a
                            client (the last good list is kept)
JobRefused                  a background job that cannot run as written (unknown kind, bad
                            argument, no access index): dead-lettered, never retried
Unavailable                 the work cannot be done now; never a fallback image
├── Overloaded              no render slot and no queue place is free: answered 503 + Retry-After
└── RateLimitStoreDown      the shared rate-limit counters cannot be reached (the limiter
                            falls back to counting in the process)
"""

from __future__ import annotations

from typing import ClassVar

from domain.result import FallbackReason


class ApplicationError(Exception):
    """Root of the errors behind the ports; `reason` is the fallback reason it maps to."""

    reason: ClassVar[FallbackReason]
    negative_cacheable: ClassVar[bool] = False


class OriginError(ApplicationError):
    """The original could not be fetched."""


class OriginNotFound(OriginError):
    """The origin answered with a 4xx status."""

    reason = FallbackReason.ORIGIN_NOT_FOUND
    negative_cacheable = True


class OriginNotAnImage(OriginError):
    """The origin answered 2xx with a body whose first bytes are no known image format."""

    reason = FallbackReason.NOT_AN_IMAGE
    negative_cacheable = True


class OriginRefused(OriginError):
    """The fetch was refused by policy before or while connecting."""

    reason = FallbackReason.ORIGIN_REFUSED


class OriginTooLarge(OriginError):
    """The original is larger than the byte cap."""

    reason = FallbackReason.SOURCE_TOO_LARGE


class OriginUnavailable(OriginError):
    """The origin could not be reached or answered with a 5xx status."""

    reason = FallbackReason.ORIGIN_UNAVAILABLE


class OriginUnresolvable(OriginUnavailable):
    """The origin's host name has no address (raised by the `HostResolver` port)."""


class OriginTimeout(OriginError):
    """The origin did not answer within the deadline."""

    reason = FallbackReason.ORIGIN_TIMEOUT


class CircuitOpen(OriginError):
    """The origin's circuit breaker is open: the fetch was not attempted."""

    reason = FallbackReason.CIRCUIT_OPEN


class ProcessingError(ApplicationError):
    """The original could not be transformed."""


class NotAnImage(ProcessingError):
    """The bytes are not an image in any supported format."""

    reason = FallbackReason.NOT_AN_IMAGE


class UnsupportedFormat(NotAnImage):
    """An image in a format the renderer cannot decode (HEIF); it will not change by asking
    again, so it is remembered like a missing original."""

    negative_cacheable = True


class DecodeFailed(ProcessingError):
    """The image is truncated or corrupt."""

    reason = FallbackReason.DECODE_FAILED


class DecompressionBomb(ProcessingError):
    """The image declares more pixels or frames than the limits allow."""

    reason = FallbackReason.DECOMPRESSION_BOMB


class OutputTooLarge(ProcessingError):
    """The result would be larger than the output pixel limit."""

    reason = FallbackReason.OUTPUT_TOO_LARGE


class CacheUnavailable(Exception):
    """A shared cache (Redis) could not be reached for an administrative operation.

    Never raised while serving an image: there, an unreachable cache is a miss. Not an
    `ApplicationError`, since it has no fallback image: the admin route and the CLI report it.
    """


class AccessIndexUnavailable(Exception):
    """The access index cannot be read or written (a database error, a locked SQLite file)."""


class TenantDomainsUnavailable(Exception):
    """The tenant-domain list could not be fetched or read (raised by `TenantDomainSource`)."""


class ProcessingTimeout(ProcessingError):
    """The render did not finish within its time budget."""

    reason = FallbackReason.PROCESSING_TIMEOUT


class Unavailable(Exception):
    """Root of the errors that say "not now": the request may succeed when retried later."""


class Overloaded(Unavailable):
    """Every render slot and queue place is taken; `retry_after` is a hint in seconds."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitStoreDown(Unavailable):
    """The rate-limit store did not answer (in time)."""


class JobRefused(Exception):
    """A job that cannot run as written (an unknown kind, a bad argument): never retried."""
