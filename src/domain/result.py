"""A produced image: the bytes sent to clients and what describes them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from domain.formats import OutputFormat


class CacheStatus(StrEnum):
    """Which cache layer answered (the `X-Cache` header)."""

    HIT_MEMORY = "HIT-MEMORY"
    HIT_REDIS = "HIT-REDIS"
    HIT_DISK = "HIT-DISK"
    MISS = "MISS"


class CacheLayer(StrEnum):
    """A tier of the result cache, fastest first."""

    MEMORY = "memory"
    REDIS = "redis"
    DISK = "disk"

    @property
    def hit(self) -> CacheStatus:
        """What a request answered from this tier was (`X-Cache: HIT-MEMORY`, ...)."""
        return _HITS[self]


_HITS = {
    CacheLayer.MEMORY: CacheStatus.HIT_MEMORY,
    CacheLayer.REDIS: CacheStatus.HIT_REDIS,
    CacheLayer.DISK: CacheStatus.HIT_DISK,
}


class FallbackReason(StrEnum):
    """Why the fallback image was sent instead of the real one (the `X-Fallback` header)."""

    ORIGIN_NOT_FOUND = "origin-not-found"
    ORIGIN_UNAVAILABLE = "origin-unavailable"
    ORIGIN_TIMEOUT = "origin-timeout"
    ORIGIN_REFUSED = "origin-refused"
    SOURCE_TOO_LARGE = "source-too-large"
    NOT_AN_IMAGE = "not-an-image"
    DECODE_FAILED = "decode-failed"
    DECOMPRESSION_BOMB = "decompression-bomb"
    OUTPUT_TOO_LARGE = "output-too-large"
    CIRCUIT_OPEN = "circuit-open"
    PROCESSING_TIMEOUT = "processing-timeout"


@dataclass(frozen=True, slots=True)
class ImageResult:
    """Encoded image bytes with their format, entity tag and production time (epoch seconds)."""

    data: bytes
    format: OutputFormat
    etag: str
    produced_at: int

    @classmethod
    def of(cls, data: bytes, output: OutputFormat, produced_at: float) -> ImageResult:
        """A result whose ETag is derived from its bytes, so re-processing keeps it stable."""
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        return cls(data, output, f'"{digest}"', int(produced_at))

    @property
    def media_type(self) -> str:
        return self.format.media_type

    @property
    def size(self) -> int:
        return len(self.data)
