"""Use case: run one background job with the use case of its kind, and tell a failure worth
retrying from one that would fail again."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from application.clean_storage import CleanUpStorage
from application.correlation import correlation_scope
from application.errors import (
    AccessIndexUnavailable,
    CacheUnavailable,
    CircuitOpen,
    JobRefused,
    OriginTimeout,
    OriginUnavailable,
    ProcessingTimeout,
    Unavailable,
)
from application.evict_results import EvictResults
from application.flush_tenant import FlushTenant
from application.serve_image import ServeImage
from application.warm_cache import WarmCache
from domain.errors import InvalidRequest
from domain.image_urls import ImageUrls
from domain.jobs import Job, JobKind

log = logging.getLogger(__name__)

# Failures that say nothing lasting about the job: the same job may well succeed later.
TRANSIENT = (
    OriginUnavailable,
    OriginTimeout,
    CircuitOpen,
    ProcessingTimeout,
    Unavailable,
    CacheUnavailable,
    AccessIndexUnavailable,
    ConnectionError,
    TimeoutError,
)


def is_transient(error: BaseException) -> bool:
    """Whether `error` is worth a retry (origin or store away, overload), not a lasting one
    (an original that is missing or no image, a bad URL, a refused job)."""
    return isinstance(error, TRANSIENT)


@dataclass(frozen=True, slots=True)
class Cleanup:
    """The cleanup's switches, read from the settings in force when the job runs."""

    dry_run: bool
    budget_seconds: float


class RunJob:
    """Run `job` with the use case its kind names, under the correlation id it carries.

    `generate` makes a variant (fetch, transform, store in every layer) unless it is stored;
    `warm` copies popular results upwards; `cleanup` and `evict` manage the disk tier (absent
    without the access index: the job is refused); `flush_tenant` drops a tenant everywhere.
    Every job is idempotent: running one twice leaves what running it once does.
    """

    def __init__(
        self,
        *,
        serve: ServeImage,
        urls: ImageUrls,
        warm: WarmCache,
        flush: FlushTenant,
        clean_up: CleanUpStorage | None,
        evict: EvictResults | None,
        cleanup: Callable[[], Cleanup],
    ) -> None:
        self._serve = serve
        self._urls = urls
        self._warm = warm
        self._flush = flush
        self._clean_up = clean_up
        self._evict = evict
        self._cleanup = cleanup
        self._kinds: dict[JobKind, Callable[[Job], Awaitable[object]]] = {
            JobKind.GENERATE: self._generate,
            JobKind.WARM: lambda job: self._warm(),
            JobKind.CLEANUP: self._run_cleanup,
            JobKind.EVICT: self._run_eviction,
            JobKind.FLUSH_TENANT: lambda job: self._flush(job.argument("tenant")),
        }

    async def __call__(self, job: Job) -> None:
        with correlation_scope(job.correlation_id or "-"):
            log.info("job %s %s", job.kind.value, dict(job.arguments))
            try:
                await self._kinds[job.kind](job)
            except (InvalidRequest, ValueError) as exc:
                raise JobRefused(f"{job.kind.value}: {exc}") from exc

    async def _generate(self, job: Job) -> bool:
        request = self._urls.trusted_request_of(job.argument("path"))
        return await self._serve.produce(request, job.arguments.get("accept"))

    async def _run_cleanup(self, job: Job) -> object:
        if self._clean_up is None:
            raise JobRefused("cleanup needs the access index (ACCESS_INDEX_ENABLED)")
        cleanup = self._cleanup()
        return await self._clean_up(dry_run=cleanup.dry_run, budget=cleanup.budget_seconds)

    async def _run_eviction(self, job: Job) -> object:
        if self._evict is None:
            raise JobRefused("eviction needs the access index (ACCESS_INDEX_ENABLED)")
        return await self._evict()
