"""Ring 9, jobs (ADR 27): the broker, the job queue, the use case a job runs, and the worker
that runs jobs in this process.

Where the jobs wait is chosen once, from the settings: RabbitMQ for an AMQP `BROKER_URL`,
Redis for a redis:// one (or, without one, `REDIS_URL`'s Redis), else this process (Dramatiq's
`StubBroker`), whose own worker starts with the first job queued, so `make run` needs nothing.
A `media-stream worker` process overrides `worker` with one that consumes the queues it was
given and tells the others it is alive.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import redis
from dependency_injector import containers, providers

from adapters.dramatiq import (
    DramatiqJobQueue,
    DramatiqJobWorker,
    JobEnds,
    JobLedger,
    MemoryJobLedger,
    QueueCounts,
    RedisJobLedger,
    RetryPolicy,
    declared,
    rabbitmq_broker,
    redis_broker,
    stub_broker,
)
from adapters.pillow.measure import PillowImageMeasure
from application.jobs import Cleanup, RunJob
from application.offload import Offload
from application.ports.metrics import Metrics
from application.queue_health import QueueIndicator
from application.scheduling import ScheduleLease
from entrypoints.settings import LiveSettings, Settings

if TYPE_CHECKING:
    import dramatiq

    from entrypoints.composition import Container


def broker_kind(settings: Settings) -> str:
    """'amqp', 'redis' or 'memory': where the jobs wait."""
    scheme = settings.BROKER_URL.split(":", 1)[0]
    if scheme.startswith("amqp"):
        return "amqp"
    if scheme.startswith("redis") or settings.redis_url:
        return "redis"
    return "memory"


def jobs_redis_url(settings: Settings) -> str:
    """The Redis of the jobs' messages (Redis broker) or of their ends (RabbitMQ)."""
    if settings.BROKER_URL.startswith("redis"):
        return settings.BROKER_URL
    return settings.redis_url


def jobs_namespace(settings: Settings) -> str:
    return f"{settings.REDIS_KEY_PREFIX}jobs"


async def job_ledger(settings: Settings) -> AsyncIterator[JobLedger]:
    """How jobs ended and which workers live: in Redis when there is one, else in memory."""
    url = jobs_redis_url(settings)
    ledger: JobLedger
    if url and broker_kind(settings) != "memory":
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        ledger = RedisJobLedger(client, jobs_namespace(settings))
    else:
        ledger = MemoryJobLedger()
    try:
        yield ledger
    finally:
        await asyncio.to_thread(ledger.close)


def job_ended(metrics: Metrics) -> Callable[[str, str, str, float], None]:
    return lambda queue, actor, outcome, seconds: metrics.job_finished(
        queue=queue, outcome=outcome, seconds=seconds
    )


async def job_broker(settings: Settings, ends: JobEnds) -> AsyncIterator[dramatiq.Broker]:
    """The broker of `broker_kind`, its queues declared, `ends` first of its middleware."""
    kind = broker_kind(settings)
    broker: dramatiq.Broker
    if kind == "amqp":
        broker = rabbitmq_broker(settings.BROKER_URL, ends)
    elif kind == "redis":
        broker = redis_broker(
            jobs_redis_url(settings),
            jobs_namespace(settings),
            settings.JOBS_HEARTBEAT_TIMEOUT,
            ends,
        )
    else:
        broker = stub_broker(ends)
    try:
        yield declared(broker)
    finally:
        await asyncio.to_thread(broker.close)


class WorkerStart:
    """Starts the embedded worker when the first job is queued (the queue is built before
    the worker, which reaches the use cases that may queue jobs)."""

    def __init__(self) -> None:
        self._start: Callable[[], None] = lambda: None

    def attach(self, start: Callable[[], None]) -> None:
        self._start = start

    def __call__(self) -> None:
        self._start()


async def embedded_worker(
    broker: dramatiq.Broker,
    run: RunJob,
    ledger: JobLedger,
    retry: RetryPolicy,
    settings: Settings,
    start: WorkerStart,
) -> AsyncIterator[DramatiqJobWorker | None]:
    """With jobs in this process, the worker that runs them on this event loop."""
    if broker_kind(settings) != "memory":
        yield None
        return
    worker = DramatiqJobWorker(
        broker,
        run,
        asyncio.get_running_loop(),
        ledger=ledger,
        retry=retry,
        threads=settings.JOBS_IN_PROCESS_THREADS,
    )
    start.attach(worker.start)
    try:
        yield worker
    finally:
        start.attach(lambda: None)
        await asyncio.to_thread(worker.stop)


async def worker_process(
    broker: dramatiq.Broker,
    run: RunJob,
    ledger: JobLedger,
    retry: RetryPolicy,
    settings: Settings,
    threads: int,
    queues: tuple[str, ...],
) -> AsyncIterator[DramatiqJobWorker]:
    """The worker of a `media-stream worker` process: consumes `queues` in `threads` threads
    and beats its heartbeat, so web nodes offload heavy renders to it."""
    worker = DramatiqJobWorker(
        broker,
        run,
        asyncio.get_running_loop(),
        ledger=ledger,
        retry=retry,
        threads=threads,
        queues=queues,
        heartbeats=True,
        heartbeat_seconds=settings.JOBS_HEARTBEAT_TIMEOUT / 1000,
    )
    await asyncio.to_thread(worker.start)
    try:
        yield worker
    finally:
        await asyncio.to_thread(worker.stop)


def cleanup_switches(live: LiveSettings) -> Callable[[], Cleanup]:
    return lambda: Cleanup(
        live.current.STORAGE_CLEANUP_DRY_RUN, live.current.STORAGE_CLEANUP_MAX_DURATION / 1000
    )


def storage_schedule_name(settings: Settings) -> str:
    """One storage scheduler per access index: the cluster's, for a shared index; each
    machine's disk, for the embedded one (every disk needs its own cleanup)."""
    if settings.access_index_embedded:
        return f"storage:{socket.gethostname()}:{settings.CACHE_FILE_DIRECTORY.resolve()}"
    return "storage"


def when_indexed(enabled: bool, part: object) -> object:
    return part if enabled else None


class Jobs(containers.DeclarativeContainer):
    """Background jobs: the broker and queue every node uses, and the worker of this process."""

    core = providers.DependenciesContainer()
    shared = providers.DependenciesContainer()
    imaging = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()
    features = providers.DependenciesContainer()

    ledger = providers.Resource(job_ledger, core.settings)
    ends = providers.Singleton(JobEnds, ledger, providers.Callable(job_ended, core.metrics))
    broker = providers.Resource(job_broker, core.settings, ends)
    counts = providers.Singleton(QueueCounts, broker, ends)
    start = providers.Singleton(WorkerStart)
    queue = providers.Singleton(
        DramatiqJobQueue,
        broker,
        ledger,
        counts,
        heartbeat_seconds=providers.Callable(
            lambda s: s.JOBS_HEARTBEAT_TIMEOUT / 1000, core.settings
        ),
        on_enqueue=start,
    )
    retry = providers.Singleton(
        RetryPolicy,
        max_retries=core.settings.provided.JOBS_MAX_RETRIES,
        min_backoff_ms=core.settings.provided.JOBS_RETRY_MIN_BACKOFF,
        max_backoff_ms=core.settings.provided.JOBS_RETRY_MAX_BACKOFF,
        time_limit_ms=core.settings.provided.JOBS_TIME_LIMIT,
    )
    indexed = core.settings.provided.ACCESS_INDEX_ENABLED
    run_job = providers.Singleton(
        RunJob,
        serve=imaging.serve_image,
        urls=features.image_urls,
        warm=imaging.warm_cache,
        flush=imaging.flush_tenant,
        clean_up=providers.Callable(when_indexed, indexed, storage.clean_up),
        evict=providers.Callable(when_indexed, indexed, storage.evict),
        cleanup=providers.Callable(cleanup_switches, core.live_settings),
    )
    worker = providers.Resource(
        embedded_worker, broker, run_job, ledger, retry, core.settings, start
    )
    indicator = providers.Singleton(
        QueueIndicator, queue, providers.Callable(broker_kind, core.settings), core.metrics
    )
    # the cluster's one scheduler of each schedule (ADR 28)
    lease_seconds = providers.Callable(lambda s: s.SCHEDULER_LEASE / 1000, core.settings)
    warming_schedule = providers.Singleton(
        ScheduleLease, shared.work_leases, "warming", lease_seconds
    )
    storage_schedule = providers.Singleton(
        ScheduleLease,
        shared.work_leases,
        providers.Callable(storage_schedule_name, core.settings),
        lease_seconds,
    )
    offload = providers.Singleton(
        Offload,
        queue=queue,
        measure=providers.Singleton(PillowImageMeasure),
        min_pixels=core.settings.provided.OFFLOAD_MIN_PIXELS,
        max_wait=providers.Callable(lambda s: s.OFFLOAD_MAX_WAIT / 1000, core.settings),
    )


def wire_jobs(container: Container) -> None:
    """Add the `queue` health indicator; heavy renders go to the workers when there is a
    broker for them to share (with jobs in this process, rendering here is as good) and
    OFFLOAD_MIN_PIXELS is not 0."""
    settings = container.settings()
    if broker_kind(settings) != "memory" and settings.OFFLOAD_MIN_PIXELS > 0:
        container.imaging.offload.override(container.jobs.offload)
    indicators = container.operations.health_indicators
    assert isinstance(indicators, providers.List)
    indicators.add_args(container.jobs.indicator)


def run_as_worker(container: Container, threads: int, queues: tuple[str, ...]) -> None:
    """Make `container` a worker process's: its worker consumes `queues` in `threads`."""
    jobs = container.jobs
    jobs.worker.override(
        providers.Resource(
            worker_process,
            jobs.broker,
            jobs.run_job,
            jobs.ledger,
            jobs.retry,
            container.core.settings,
            threads,
            queues,
        )
    )
