"""Port: hands jobs to the workers, and tells how they went and how much waits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from domain.jobs import Job, JobState, QueueStats


class JobQueue(Protocol):
    """Queues jobs for the workers, which run each at least once (a job may run twice after a
    worker dies mid-job, so every job is idempotent) and remember how it ended."""

    async def enqueue(self, job: Job) -> str:
        """Queue `job`; answers its id."""
        ...

    async def states(self, job_ids: Sequence[str]) -> Mapping[str, JobState]:
        """Where each of `job_ids` is (PENDING until a worker finished it, or for an id it
        never saw)."""
        ...

    async def stats(self) -> Sequence[QueueStats]:
        """The counts of every queue, highest priority first."""
        ...

    async def retry_dead(self) -> int:
        """Queue every dead-lettered job again, with fresh retries; answers how many."""
        ...

    async def workers_alive(self) -> int:
        """How many worker processes (not this one) took jobs lately; 0 means none will."""
        ...
