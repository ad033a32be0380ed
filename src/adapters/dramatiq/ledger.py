"""Where a job's end and the workers' heartbeats are kept: Redis for a cluster, memory for one
process. Dramatiq keeps the messages; the ledger keeps what `warm --wait` and the offload ask."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping

import redis

from domain.jobs import JobState

OUTCOME_SECONDS = 86_400


class RedisJobLedger:
    """Job ends under `{namespace}:outcome:{id}` (kept a day) and worker heartbeats in the
    sorted set `{namespace}:__workers__`."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self._client = client
        self._namespace = namespace
        self._workers = f"{namespace}:__workers__"

    def record(self, job_id: str, state: JobState) -> None:
        self._client.set(self._outcome(job_id), state.value, ex=OUTCOME_SECONDS)

    def states(self, job_ids: Iterable[str]) -> Mapping[str, JobState]:
        ids = list(job_ids)
        if not ids:
            return {}
        values = self._client.mget([self._outcome(job_id) for job_id in ids])
        return {
            job_id: JobState(_text(value)) if value else JobState.PENDING
            for job_id, value in zip(ids, values, strict=True)
        }

    def beat(self, worker_id: str) -> None:
        self._client.zadd(self._workers, {worker_id: time.time()})

    def leave(self, worker_id: str) -> None:
        self._client.zrem(self._workers, worker_id)

    def alive(self, within_seconds: float) -> int:
        since = time.time() - within_seconds
        self._client.zremrangebyscore(self._workers, 0, since)
        return int(self._client.zcard(self._workers))

    def close(self) -> None:
        self._client.close()

    def _outcome(self, job_id: str) -> str:
        return f"{self._namespace}:outcome:{job_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class MemoryJobLedger:
    """The ledger of one process (the embedded default): its in-process worker does not count
    as a remote one, so nothing is offloaded to it."""

    def __init__(self) -> None:
        self._states: dict[str, JobState] = {}
        self._beats: dict[str, float] = {}
        self._lock = threading.Lock()

    def record(self, job_id: str, state: JobState) -> None:
        with self._lock:
            self._states[job_id] = state

    def states(self, job_ids: Iterable[str]) -> Mapping[str, JobState]:
        with self._lock:
            return {job_id: self._states.get(job_id, JobState.PENDING) for job_id in job_ids}

    def beat(self, worker_id: str) -> None:
        with self._lock:
            self._beats[worker_id] = time.time()

    def leave(self, worker_id: str) -> None:
        with self._lock:
            self._beats.pop(worker_id, None)

    def alive(self, within_seconds: float) -> int:
        since = time.time() - within_seconds
        with self._lock:
            return sum(1 for beat in self._beats.values() if beat >= since)

    def close(self) -> None:
        return None


JobLedger = RedisJobLedger | MemoryJobLedger
