"""Use case: answer what an original is (the info route), from the cache or by decoding it."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from application.errors import ApplicationError
from application.fetch_original import FetchOriginal
from application.origin_admission import OriginAdmission
from application.ports.access_counter import AccessCounter
from application.ports.clock import Clock
from application.ports.image_describer import ImageDescriber, ImageFacts
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.negative_cache import NegativeCache
from application.render_gate import RenderGate
from application.shared_flight import SharedFlight
from application.single_flight import SingleFlight
from application.tiered_cache import TieredResultCache
from domain.conditional import is_not_modified
from domain.errors import InvalidRequest
from domain.formats import OutputFormat
from domain.image_info import ImageInfo, info_key
from domain.request import ImageSource, ResultKey
from domain.result import CacheStatus, FallbackReason, ImageResult

log = logging.getLogger(__name__)

# The result cache's layers tag every entry with an output format. An info entry is JSON,
# not an image; it is tagged PNG (the format of the preview it carries) and lives under keys
# of its own namespace (`info_key`), so only the info route ever reads it back.
INFO_ENTRY_TAG = OutputFormat.PNG

InfoOutcome = tuple[ImageResult, CacheStatus]

# (status, code, message) per reason: what a client may know, never the upstream URL
_REFUSALS: dict[FallbackReason, tuple[int, str]] = {
    FallbackReason.ORIGIN_NOT_FOUND: (404, "the original was not found at the origin"),
    FallbackReason.NOT_AN_IMAGE: (422, "the original is not an image in a supported format"),
    FallbackReason.DECODE_FAILED: (422, "the original could not be decoded"),
    FallbackReason.DECOMPRESSION_BOMB: (422, "the original is larger than the limits allow"),
    FallbackReason.SOURCE_TOO_LARGE: (422, "the original is larger than the byte limit"),
    FallbackReason.OUTPUT_TOO_LARGE: (422, "the original is larger than the limits allow"),
    FallbackReason.ORIGIN_REFUSED: (502, "the origin's answer was refused"),
    FallbackReason.ORIGIN_UNAVAILABLE: (502, "the origin is unavailable"),
    FallbackReason.ORIGIN_TIMEOUT: (504, "the origin did not answer in time"),
    FallbackReason.CIRCUIT_OPEN: (503, "the origin failed too often lately; retry later"),
    FallbackReason.PROCESSING_TIMEOUT: (503, "describing the original took too long"),
}


class InfoUnavailable(Exception):
    """The original cannot be described; answered as a JSON error, never a fallback image."""

    def __init__(self, reason: FallbackReason) -> None:
        status, message = _REFUSALS.get(reason, (502, "the original could not be described"))
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.message = message
        self.code = reason.value.upper().replace("-", "_")


@dataclass(frozen=True, slots=True)
class InfoQuery:
    """An info request for one original, with its conditional headers."""

    source: ImageSource
    if_none_match: str | None = None
    if_modified_since: str | None = None


@dataclass(frozen=True, slots=True)
class InfoAnswer:
    """The info document (JSON bytes with ETag and time), where it came from, and whether
    the client's copy is current."""

    result: ImageResult
    cache: CacheStatus
    not_modified: bool


@dataclass(frozen=True, slots=True)
class InfoCaching:
    """What the info route shares with the image route and other nodes: one worker per
    original across nodes, the originals known missing, and the access counts."""

    flight: SharedFlight[InfoOutcome]
    missing: NegativeCache
    missing_seconds: float
    access: AccessCounter


class DescribeImage:
    """Describe one original: cache lookup, then fetch and decode once per original.

    The same path as an image: the allow-list, the result cache's layers (under keys of its
    own namespace), coalescing in the process and across nodes, the negative cache, and the
    original's fetch shared with concurrent image requests (`FetchOriginal`). A failure is
    an `InfoUnavailable`, never a fallback image.
    """

    def __init__(
        self,
        *,
        cache: TieredResultCache,
        fetch: FetchOriginal,
        describer: ImageDescriber,
        clock: Clock,
        admission: OriginAdmission,
        shared: InfoCaching,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._cache = cache
        self._fetch = fetch
        self._describer = describer
        self._clock = clock
        self._admission = admission
        self._shared = shared
        self._metrics = metrics
        self._flights = SingleFlight[InfoOutcome]()

    async def __call__(self, query: InfoQuery) -> InfoAnswer:
        if not self._admission.permitted:
            raise InvalidRequest(
                "the origin host is not in the allow-list", code="HOST_NOT_ALLOWED"
            )
        key = info_key(query.source)
        cached = await self._cache.get(key)
        if cached is None:
            if self._flights.is_running(key):
                self._metrics.coalesced()
            cached = await self._flights.run(key, lambda: self._produce_once(query.source, key))
        result, status = cached
        self._shared.access.record(key)
        return InfoAnswer(
            result=result,
            cache=status,
            not_modified=is_not_modified(
                result.etag, result.produced_at, query.if_none_match, query.if_modified_since
            ),
        )

    async def _produce_once(self, source: ImageSource, key: ResultKey) -> InfoOutcome:
        epoch = self._cache.epoch(key.tenant)
        return await self._shared.flight.run(
            str(key), lambda: self._settled(source, key), lambda: self._produce(source, key, epoch)
        )

    async def _settled(self, source: ImageSource, key: ResultKey) -> InfoOutcome | None:
        cached = await self._cache.get(key, counted=False)
        if cached is not None:
            return cached
        missing = await self._shared.missing.recall(source)
        if missing is not None:
            raise InfoUnavailable(missing[1])
        return None

    async def _produce(self, source: ImageSource, key: ResultKey, epoch: int) -> InfoOutcome:
        try:
            original = await self._fetch(source)
            facts = await self._describer.describe(original.data)
        except ApplicationError as exc:
            log.info("no info for %s: %s (%s)", key, exc.reason, exc)
            if exc.negative_cacheable:
                await self._shared.missing.remember(
                    source, self._shared.missing_seconds, exc.reason
                )
            raise InfoUnavailable(exc.reason) from exc
        info = info_of(facts, len(original.data))
        result = ImageResult.of(info.encoded(), INFO_ENTRY_TAG, self._clock.now())
        await self._cache.put(key, result, epoch=epoch)
        return result, CacheStatus.MISS


def info_of(facts: ImageFacts, size: int) -> ImageInfo:
    """The info document of an original of `size` bytes that showed `facts`."""
    return ImageInfo(
        width=facts.width,
        height=facts.height,
        format=facts.format,
        frames=facts.frames,
        has_alpha=facts.has_alpha,
        byte_size=size,
        dominant_color=facts.dominant_color,
        thumbhash=base64.b64encode(facts.thumbhash).decode("ascii"),
        preview="data:image/png;base64," + base64.b64encode(facts.preview_png).decode("ascii"),
    )


class GatedImageDescriber(ImageDescriber):
    """A describer whose work waits for a render slot: descriptions and renders share the
    render pool, its queue bound and its time budget (`RenderGate`)."""

    def __init__(self, describer: ImageDescriber, gate: RenderGate) -> None:
        self._describer = describer
        self._gate = gate

    async def describe(self, original: bytes) -> ImageFacts:
        return await self._gate.admit(lambda: self._describer.describe(original), "info")
