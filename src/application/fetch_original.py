"""Fetching originals once per origin path at a time, for every use case that needs them."""

from __future__ import annotations

import time

from application.errors import ApplicationError
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.origin_fetcher import Original, OriginFetcher
from application.single_flight import SingleFlight
from application.timing import record
from domain.request import ImageSource


class FetchOriginal:
    """Fetch an original through `flights`, the per-origin-path coalescing the image route
    uses too: an image and its info asked for together cost the origin one request.

    A caller that joins a fetch in flight counts as coalesced; the fetch is timed as the
    `fetch` phase and counted by outcome, as the image route's are.
    """

    def __init__(
        self,
        origin: OriginFetcher,
        flights: SingleFlight[Original],
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._origin = origin
        self._flights = flights
        self._metrics = metrics

    async def __call__(self, source: ImageSource) -> Original:
        """The original, a caller joining a fetch in flight counted as coalesced."""
        if self._flights.is_running(source.origin_path):
            self._metrics.coalesced()
        return await self.shared(source)

    async def shared(self, source: ImageSource) -> Original:
        """The original, joining a fetch in flight without counting it (the image route counts
        coalescing per result, not per original)."""
        return await self._flights.run(source.origin_path, lambda: self._fetch(source))

    async def _fetch(self, source: ImageSource) -> Original:
        started = time.perf_counter()
        try:
            original = await self._origin.fetch(source)
        except ApplicationError as exc:
            self._fetched(exc.reason.value, started, 0)
            raise
        self._fetched("success", started, len(original.data))
        return original

    def _fetched(self, outcome: str, started: float, size: int) -> None:
        seconds = time.perf_counter() - started
        record("fetch", seconds)
        self._metrics.origin_fetch(outcome=outcome, seconds=seconds, size_bytes=size)
