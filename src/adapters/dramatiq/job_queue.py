"""`DramatiqJobQueue`: jobs as Dramatiq messages, one actor per priority queue; and
`DramatiqJobWorker`, which runs them on the event loop that owns the use cases."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import dramatiq

from adapters.dramatiq.brokers import QueueCounts
from adapters.dramatiq.ledger import JobLedger
from application.correlation import correlation_scope
from application.errors import ApplicationError, JobRefused
from application.jobs import TRANSIENT, is_transient
from application.ports.job_queue import JobQueue
from domain.jobs import Job, JobKind, JobState, Priority, QueueStats

log = logging.getLogger(__name__)

RunJob = Callable[[Job], Coroutine[object, object, None]]
# failures a job may meet (answered in one log line); anything else is a defect: traceback
EXPECTED = (ApplicationError, JobRefused, *TRANSIENT)
# how long an idle worker thread waits for work before looking at whether it should stop
WORKER_TIMEOUT_MS = 200


class DramatiqJobQueue(JobQueue):
    """Jobs on a Dramatiq broker: the message's actor is its priority queue, its arguments
    the job's kind, arguments and correlation id. How jobs ended and which workers live is
    read from the ledger."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        ledger: JobLedger,
        counts: QueueCounts,
        *,
        heartbeat_seconds: float,
        on_enqueue: Callable[[], None] = lambda: None,
    ) -> None:
        self._broker = broker
        self._ledger = ledger
        self._counts = counts
        self._heartbeat_seconds = heartbeat_seconds
        # the embedded worker starts with the first job (most nodes never queue one)
        self._on_enqueue = on_enqueue

    async def enqueue(self, job: Job) -> str:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=job.priority.value,
            actor_name=job.priority.value,
            args=(job.kind.value, dict(job.arguments), job.correlation_id),
            kwargs={},
            options={},
        )
        self._on_enqueue()
        await asyncio.to_thread(self._broker.enqueue, message)
        return str(message.message_id)

    async def states(self, job_ids: Sequence[str]) -> Mapping[str, JobState]:
        return await asyncio.to_thread(self._ledger.states, job_ids)

    async def stats(self) -> Sequence[QueueStats]:
        return await asyncio.to_thread(self._counts.stats)

    async def retry_dead(self) -> int:
        return await asyncio.to_thread(self._counts.retry_dead)

    async def workers_alive(self) -> int:
        return await asyncio.to_thread(self._ledger.alive, self._heartbeat_seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Transient failures are retried `max_retries` times, backing off exponentially from
    `min_backoff_ms` up to `max_backoff_ms`; lasting ones go to the dead letters at once."""

    max_retries: int
    min_backoff_ms: int
    max_backoff_ms: int
    time_limit_ms: int

    def retries(self, attempts: int, error: BaseException) -> bool:
        return attempts < self.max_retries and isinstance(error, PassingFailure)


class PassingFailure(dramatiq.Retry):
    """A job failed for a reason that may pass (origin or store away): retried, logged in one
    line (Dramatiq logs no traceback for a `Retry`)."""


class LastingFailure(Exception):
    """A job failed for a lasting reason (no image, 404, a job that cannot run): dead-lettered
    at once (an actor's `throws`), logged in one line."""


def _reraise_as_failure(job: Job, error: Exception) -> None:
    with correlation_scope(job.correlation_id or "-"):
        if is_transient(error):
            log.warning("job %s failed, may be retried: %s", job.kind.value, error)
            raise PassingFailure(str(error)) from error
        log.warning("job %s failed for good: %s", job.kind.value, error)
        raise LastingFailure(str(error)) from error


class DramatiqJobWorker:
    """A Dramatiq `Worker` on `broker` whose actors run each job on `loop` (where the
    container was opened) through `run`; with `heartbeats`, it tells the ledger it is alive
    (a worker process; the embedded one does not count as a place to offload to)."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        run: RunJob,
        loop: asyncio.AbstractEventLoop,
        *,
        ledger: JobLedger,
        retry: RetryPolicy,
        threads: int,
        queues: Sequence[str] = (),
        heartbeats: bool = False,
        heartbeat_seconds: float = 1.0,
    ) -> None:
        self._broker = broker
        self._run = run
        self._loop = loop
        self._ledger = ledger
        self._retry = retry
        self._threads = threads
        self._queues = set(queues) or {priority.value for priority in Priority}
        self._heartbeats = heartbeats
        self._beat_every = max(heartbeat_seconds / 4, 0.1)
        self._id = uuid.uuid4().hex
        self._worker: dramatiq.Worker | None = None
        self._stopping = threading.Event()
        self._beating: threading.Thread | None = None
        self._starting = threading.Lock()

    def start(self) -> None:
        """Start consuming (once; later calls, and calls while it starts or stops, do nothing:
        the embedded worker is started from the event loop its jobs need)."""
        if self._stopping.is_set() or not self._starting.acquire(blocking=False):
            return
        try:
            if self._worker is None:
                self._start()
        finally:
            self._starting.release()

    def _start(self) -> None:
        for priority in Priority:
            self._declare(priority)
        self._worker = dramatiq.Worker(
            self._broker,
            queues=self._queues,
            worker_threads=self._threads,
            worker_timeout=WORKER_TIMEOUT_MS,
        )
        self._worker.start()
        if self._heartbeats:
            self._ledger.beat(self._id)
            self._beating = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
            self._beating.start()

    def stop(self) -> None:
        """Finish the jobs in hand and stop; unstarted jobs stay queued."""
        with self._starting:
            self._stopping.set()
            if self._beating is not None:
                self._beating.join()
                self._ledger.leave(self._id)
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def _beat(self) -> None:
        while not self._stopping.wait(self._beat_every):
            try:
                self._ledger.beat(self._id)
            except Exception:
                log.warning("the job worker's heartbeat could not be written", exc_info=True)

    def _declare(self, priority: Priority) -> None:
        def perform(kind: str, arguments: dict[str, str], correlation_id: str | None) -> None:
            try:
                job = Job(JobKind(kind), arguments, priority, correlation_id)
            except ValueError as exc:
                raise JobRefused(f"unknown job kind {kind!r}") from exc
            future: Future[None] = asyncio.run_coroutine_threadsafe(self._run(job), self._loop)
            try:
                future.result()
            except EXPECTED as exc:
                _reraise_as_failure(job, exc)
            except BaseException:
                future.cancel()
                raise

        dramatiq.Actor(
            perform,
            broker=self._broker,
            actor_name=priority.value,
            queue_name=priority.value,
            priority=priority.rank * 10,
            options={
                "throws": (LastingFailure,),
                "retry_when": self._retry.retries,
                "min_backoff": self._retry.min_backoff_ms,
                "max_backoff": self._retry.max_backoff_ms,
                "time_limit": self._retry.time_limit_ms,
            },
        )
