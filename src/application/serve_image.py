"""Use case: answer an image request from the cache, or fetch, transform and store it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from application.errors import ApplicationError, ProcessingError
from application.fetch_original import FetchOriginal
from application.offload import Offload
from application.origin_admission import OriginAdmission
from application.ports.access_counter import AccessCounter
from application.ports.clock import Clock
from application.ports.image_processor import ImageProcessor, Rendition
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.negative_cache import NegativeCache
from application.provenance import producing
from application.shared_flight import SharedFlight
from application.single_flight import SingleFlight
from application.tiered_cache import TieredResultCache
from application.timing import record
from domain.conditional import is_not_modified
from domain.errors import InvalidRequest
from domain.negotiation import AcceptedFormats
from domain.request import ImageRequest, ImageSource, ResultKey
from domain.result import CacheStatus, FallbackReason, ImageResult
from domain.transform import Box, TransformSpec

log = logging.getLogger(__name__)

# requests and Accept headers whose result key is remembered (a key costs a SHA-256)
MAX_REMEMBERED_KEYS = 4096


@dataclass(frozen=True, slots=True)
class ImageQuery:
    """A validated image request with the headers that shape its answer."""

    request: ImageRequest
    accept: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    # the URL path it came from: what a worker is given to render it (heavy renders, ADR 27)
    path: str | None = None


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    """What to send: the result, where it came from, and whether the client's copy is current."""

    result: ImageResult
    cache: CacheStatus
    fallback: FallbackReason | None
    not_modified: bool
    vary_accept: bool


Outcome = tuple[ImageResult, CacheStatus, FallbackReason | None]


@dataclass(frozen=True, slots=True)
class SharedCaching:
    """What makes several nodes act as one cache: who works on a miss, what stays missing,
    and how often each result is asked for."""

    flight: SharedFlight[Outcome]
    missing: NegativeCache
    missing_seconds: float
    access: AccessCounter


class ServeImage:
    """Serve one image: cache lookup, then fetch, transform and store once per key.

    Identical misses are coalesced in the process (`SingleFlight` per result key) and across
    nodes (`SharedFlight`); variants of one original share its fetch (`SingleFlight` per
    origin path). An origin 4xx is remembered for `missing_seconds`, so the origin is not asked
    again meanwhile. Every served result counts as one access.

    Any failure after the request was accepted is answered with the fallback image, rendered
    with the request's own size, fit, background and format.
    """

    def __init__(
        self,
        *,
        cache: TieredResultCache,
        originals: FetchOriginal,
        processor: ImageProcessor,
        clock: Clock,
        admission: OriginAdmission,
        fallback_original: bytes,
        shared: SharedCaching,
        metrics: Metrics = NO_METRICS,
        offload: Offload | None = None,
    ) -> None:
        self._cache = cache
        self._processor = processor
        self._clock = clock
        self._admission = admission
        self._fallback = FallbackRenderer(fallback_original, processor, clock)
        self._flights: SingleFlight[Outcome]
        self._flights = SingleFlight()
        self._generations: SingleFlight[ImageResult] = SingleFlight()
        self._shared = shared
        # one fetch per origin path at a time, shared with the info route (ADR 24)
        self._originals = originals
        self._metrics = metrics
        self._offload = offload
        self._keys: dict[tuple[ImageRequest, str | None], tuple[TransformSpec, ResultKey]] = {}

    async def __call__(self, query: ImageQuery) -> ImageAnswer:
        request = query.request
        if not self._admission.permitted:
            raise InvalidRequest(
                "the origin host is not in the allow-list", code="HOST_NOT_ALLOWED"
            )
        spec, key = self._spec_and_key(request, query.accept)
        cached = await self._cache.get(key)
        if cached is not None:
            result, status, reason = cached[0], cached[1], None
        else:
            if self._flights.is_running(key):
                self._metrics.coalesced()
            result, status, reason = await self._flights.run(
                key, lambda: self._produce_once(request.source, spec, key, query)
            )
        if reason is None:
            self._shared.access.record(key)
        return ImageAnswer(
            result=result,
            cache=status,
            fallback=reason,
            not_modified=is_not_modified(
                result.etag, result.produced_at, query.if_none_match, query.if_modified_since
            ),
            vary_accept=request.negotiates,
        )

    def _spec_and_key(
        self, request: ImageRequest, accept: str | None
    ) -> tuple[TransformSpec, ResultKey]:
        """The spec and result key of a request and Accept header, digested once per pair."""
        remembered = self._keys.get((request, accept))
        if remembered is None:
            spec = request.spec_for(AcceptedFormats.from_header(accept))
            remembered = (spec, ResultKey.of(request.source, spec))
            if len(self._keys) >= MAX_REMEMBERED_KEYS:
                self._keys.clear()
            self._keys[(request, accept)] = remembered
        return remembered

    async def _produce_once(
        self, source: ImageSource, spec: TransformSpec, key: ResultKey, query: ImageQuery
    ) -> Outcome:
        """Produce on one node only; the others, and late callers here, take what it made."""
        epoch = self._cache.epoch(key.tenant)
        return await self._shared.flight.run(
            str(key),
            lambda: self._settled(source, spec, key),
            lambda: self._produce(source, spec, key, epoch, query),
        )

    async def _settled(
        self, source: ImageSource, spec: TransformSpec, key: ResultKey
    ) -> Outcome | None:
        """What another node (or an earlier request) already decided for `key`, if anything."""
        cached = await self._cache.get(key, counted=False)
        if cached is not None:
            return cached[0], cached[1], None
        missing = await self._shared.missing.recall(source)
        if missing is not None:
            return await self._fallback.render(spec), CacheStatus.MISS, missing[1]
        return None

    async def produce(self, request: ImageRequest, accept: str | None = None) -> bool:
        """Make and store the result of `request` ahead of its asking (a worker's job),
        unless it is stored already; answers whether it made it.

        Bypasses the request path's coalescing: the node that asked a worker for it holds
        that. Raises the `ApplicationError` a request would have answered with a fallback
        (a lasting one is remembered first, as on the request path).
        """
        spec, key = self._spec_and_key(request, accept)
        if await self._cache.get(key, counted=False) is not None:
            return False
        epoch = self._cache.epoch(key.tenant)
        await self._generations.run(key, lambda: self._made(request.source, spec, key, epoch))
        return True

    async def _produce(
        self,
        source: ImageSource,
        spec: TransformSpec,
        key: ResultKey,
        epoch: int,
        query: ImageQuery,
    ) -> Outcome:
        try:
            result = await self._made(source, spec, key, epoch, query)
        except ApplicationError as exc:
            log.info("fallback for %s: %s (%s)", key, exc.reason, exc)
            return await self._fallback.render(spec), CacheStatus.MISS, exc.reason
        return result, CacheStatus.MISS, None

    async def _made(
        self,
        source: ImageSource,
        spec: TransformSpec,
        key: ResultKey,
        epoch: int,
        query: ImageQuery | None = None,
    ) -> ImageResult:
        """Fetch, transform and store in every layer; a lasting failure is remembered. A
        heavy original of a request is rendered by a worker when one takes it in time."""
        started = time.perf_counter()
        try:
            original = await self._originals.shared(source)
            if query is not None:
                made = await self._elsewhere(original.data, query, key)
                if made is not None:
                    return made
            rendition = await self._render(original.data, spec, source.tenant)
        except ApplicationError as exc:
            if exc.negative_cacheable:
                await self._shared.missing.remember(
                    source, self._shared.missing_seconds, exc.reason
                )
            raise
        result = ImageResult.of(rendition.data, rendition.format, self._clock.now())
        with producing(source.origin_path, time.perf_counter() - started):
            await self._cache.put(key, result, epoch=epoch)
        return result

    async def _elsewhere(
        self, original: bytes, query: ImageQuery, key: ResultKey
    ) -> ImageResult | None:
        offload = self._offload
        if offload is None or query.path is None or not await offload.wanted(original):
            return None

        async def stored() -> ImageResult | None:
            cached = await self._cache.get(key, counted=False)
            return None if cached is None else cached[0]

        return await offload.elsewhere(query.path, query.accept, stored)

    async def _render(self, original: bytes, spec: TransformSpec, tenant: str) -> Rendition:
        """Transform, timed as the `transform` phase and counted by format and outcome."""
        started = time.perf_counter()
        outcome = "success"
        try:
            return await self._processor.render(original, spec)
        except ApplicationError as exc:
            outcome = exc.reason.value
            raise
        finally:
            seconds = time.perf_counter() - started
            record("transform", seconds)
            self._metrics.image_processed(
                format=spec.format.value, outcome=outcome, seconds=seconds, tenant=tenant
            )


class FallbackRenderer:
    """Renders the shipped placeholder for a spec, remembering each rendition."""

    MAX_REMEMBERED = 256

    def __init__(self, original: bytes, processor: ImageProcessor, clock: Clock) -> None:
        self._original = original
        self._processor = processor
        self._clock = clock
        self._rendered: dict[str, ImageResult] = {}

    async def render(self, spec: TransformSpec) -> ImageResult:
        remembered = self._rendered.get(spec.canonical)
        if remembered is not None:
            return remembered
        try:
            rendition = await self._processor.render(self._original, spec)
        except ProcessingError:
            # e.g. one free axis that scales the placeholder past the output limit
            rendition = await self._processor.render(self._original, replace(spec, box=Box(0, 0)))
        result = ImageResult.of(rendition.data, rendition.format, self._clock.now())
        if len(self._rendered) >= self.MAX_REMEMBERED:
            self._rendered.pop(next(iter(self._rendered)))
        self._rendered[spec.canonical] = result
        return result
