"""Use case: answer an image request from the cache, or fetch, transform and store it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from application.errors import ApplicationError, ProcessingError
from application.ports.clock import Clock
from application.ports.image_processor import ImageProcessor
from application.ports.origin_fetcher import OriginFetcher
from application.single_flight import SingleFlight
from application.tiered_cache import TieredResultCache
from domain.conditional import is_not_modified
from domain.errors import InvalidRequest
from domain.negotiation import AcceptedFormats
from domain.policy import HostPolicy
from domain.request import ImageRequest, ResultKey
from domain.result import CacheStatus, FallbackReason, ImageResult
from domain.transform import Box, TransformSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImageQuery:
    """A validated image request with the headers that shape its answer."""

    request: ImageRequest
    accept: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    """What to send: the result, where it came from, and whether the client's copy is current."""

    result: ImageResult
    cache: CacheStatus
    fallback: FallbackReason | None
    not_modified: bool
    vary_accept: bool


class ServeImage:
    """Serve one image: cache lookup, then fetch, transform and store once per key.

    Any failure after the request was accepted is answered with the fallback image, rendered
    with the request's own size, fit, background and format.
    """

    def __init__(
        self,
        *,
        cache: TieredResultCache,
        origin: OriginFetcher,
        processor: ImageProcessor,
        clock: Clock,
        allowed_hosts: HostPolicy,
        fallback_original: bytes,
    ) -> None:
        self._cache = cache
        self._origin = origin
        self._processor = processor
        self._clock = clock
        self._allowed_hosts = allowed_hosts
        self._fallback = FallbackRenderer(fallback_original, processor, clock)
        self._flights: SingleFlight[tuple[ImageResult, CacheStatus, FallbackReason | None]]
        self._flights = SingleFlight()

    async def __call__(self, query: ImageQuery) -> ImageAnswer:
        request = query.request
        if not self._allowed_hosts.permits(self._origin.host):
            raise InvalidRequest(
                "the origin host is not in the allow-list", code="HOST_NOT_ALLOWED"
            )
        spec = request.spec_for(AcceptedFormats.from_header(query.accept))
        key = ResultKey.of(request.source, spec)
        result, status, reason = await self._flights.run(
            key, lambda: self._lookup(query, spec, key)
        )
        return ImageAnswer(
            result=result,
            cache=status,
            fallback=reason,
            not_modified=is_not_modified(
                result.etag, result.produced_at, query.if_none_match, query.if_modified_since
            ),
            vary_accept=request.negotiates,
        )

    async def _lookup(
        self, query: ImageQuery, spec: TransformSpec, key: ResultKey
    ) -> tuple[ImageResult, CacheStatus, FallbackReason | None]:
        cached = await self._cache.get(key)
        if cached is not None:
            return cached[0], cached[1], None
        try:
            original = await self._origin.fetch(query.request.source)
            rendition = await self._processor.render(original.data, spec)
        except ApplicationError as exc:
            log.info("fallback for %s: %s (%s)", key, exc.reason, exc)
            return await self._fallback.render(spec), CacheStatus.MISS, exc.reason
        result = ImageResult.of(rendition.data, rendition.format, self._clock.now())
        await self._cache.put(key, result)
        return result, CacheStatus.MISS, None


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
