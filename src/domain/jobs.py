"""Background jobs as values: what a worker is asked to do, on which queue, and what came of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class JobKind(Enum):
    """What a job does; the value is its name on the wire."""

    GENERATE = "generate"
    WARM = "warm"
    CLEANUP = "cleanup"
    EVICT = "evict"
    FLUSH_TENANT = "flush_tenant"


class Priority(Enum):
    """The queue a job waits in; workers take from the first before the next."""

    INTERACTIVE = "interactive"
    PREGENERATE = "pregenerate"
    MAINTENANCE = "maintenance"

    @property
    def rank(self) -> int:
        """Lower runs first when a worker has several jobs to choose from."""
        return list(Priority).index(self)


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of background work: its kind, its text arguments and its queue.

    `correlation_id` is the request's (or command's) that caused it, carried into the job's
    log lines.
    """

    kind: JobKind
    arguments: Mapping[str, str] = field(default_factory=dict)
    priority: Priority = Priority.MAINTENANCE
    correlation_id: str | None = None

    def argument(self, name: str) -> str:
        """The argument `name`; a missing one makes the job unrunnable (`ValueError`)."""
        value = self.arguments.get(name)
        if value is None:
            raise ValueError(f"a {self.kind.value} job needs its {name!r} argument")
        return value


class JobState(Enum):
    """Where a job is: not finished yet, done, or failed for good (in the dead letters)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One queue's counts: waiting, waiting for a retry, being worked on, dead letters."""

    queue: str
    waiting: int
    retrying: int
    in_progress: int
    dead: int
