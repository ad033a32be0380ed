"""The three Dramatiq brokers the service runs on, and what each can tell about its queues.

Redis (`RedisBroker`, keys under the namespace), RabbitMQ (`RabbitmqBroker`, an AMQP URL) and
the `StubBroker` of one process (the embedded default, and the unit tests). Each is made with
Dramatiq's middleware minus its Prometheus exporter (the service exposes its own metrics), plus
`JobEnds`, which records how each job ended and times it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, xq_name
from dramatiq.middleware import Middleware, default_middleware

from adapters.dramatiq.ledger import JobLedger
from domain.jobs import JobState, Priority, QueueStats

# A Redis broker moves a dead worker's unacknowledged jobs back to their queue during
# "maintenance", run on this share (per million) of its commands: Dramatiq's 0.1 % leaves a
# killed worker's jobs waiting for minutes on a quiet queue.
MAINTENANCE_CHANCE = 100_000
QUEUES = tuple(priority.value for priority in Priority)

JobEnded = Callable[[str, str, str, float], None]  # queue, actor, outcome, seconds


class JobEnds(Middleware):
    """Records in the ledger how each job ended (after Dramatiq's `Retries` decided whether
    it runs again), counts the jobs in progress, and reports each end to `ended`."""

    def __init__(self, ledger: JobLedger, ended: JobEnded) -> None:
        self._ledger = ledger
        self._ended = ended
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self.in_progress: Counter[str] = Counter()

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        with self._lock:
            self._started[message.message_id] = time.perf_counter()
            self.in_progress[_canonical(message.queue_name)] += 1

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        queue = _canonical(message.queue_name)
        with self._lock:
            started = self._started.pop(message.message_id, time.perf_counter())
            self.in_progress[queue] -= 1
        seconds = time.perf_counter() - started
        if exception is None:
            self._ledger.record(message.message_id, JobState.DONE)
            self._ended(queue, message.actor_name, "done", seconds)
        elif message.failed:
            self._ledger.record(message.message_id, JobState.FAILED)
            self._ended(queue, message.actor_name, "dead", seconds)
        else:
            self._ended(queue, message.actor_name, "retried", seconds)

    def requeued(self, job_id: str) -> None:
        """A dead job queued again: pending until it ends once more."""
        self._ledger.record(job_id, JobState.PENDING)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.after_process_message(broker, message)


def _bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode()


def _canonical(queue: str) -> str:
    return queue.removesuffix(".DQ")


def _middleware(ends: JobEnds) -> list[Middleware]:
    # first, so that its `after_*` hooks run last (Dramatiq calls them in reverse): once
    # `Retries` has decided whether the job runs again
    return [ends, *(middleware() for middleware in default_middleware)]


def redis_broker(url: str, namespace: str, heartbeat_timeout_ms: int, ends: JobEnds) -> RedisBroker:
    """Jobs in the Redis at `url`, under `namespace`."""
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=url,
        namespace=namespace,
        middleware=_middleware(ends),
        heartbeat_timeout=heartbeat_timeout_ms,
        maintenance_chance=MAINTENANCE_CHANCE,
    )


def rabbitmq_broker(url: str, ends: JobEnds) -> RabbitmqBroker:
    """Jobs in the RabbitMQ at the AMQP `url`."""
    return RabbitmqBroker(url=url, middleware=_middleware(ends))


def stub_broker(ends: JobEnds) -> StubBroker:
    """Jobs in this process only."""
    return StubBroker(middleware=_middleware(ends))


def declared(broker: dramatiq.Broker) -> dramatiq.Broker:
    """`broker` with the three priority queues declared (a worker consumes declared queues)."""
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


class QueueCounts:
    """What a broker holds per queue, and putting its dead letters back."""

    def __init__(self, broker: dramatiq.Broker, ends: JobEnds) -> None:
        self._broker = broker
        self._ends = ends

    def stats(self) -> list[QueueStats]:
        return [self._stats_of(queue) for queue in QUEUES]

    def retry_dead(self) -> int:
        broker = self._broker
        if isinstance(broker, RedisBroker):
            return sum(self._redis_retry(broker, queue) for queue in QUEUES)
        if isinstance(broker, StubBroker):
            return sum(self._stub_retry(broker, queue) for queue in QUEUES)
        assert isinstance(broker, RabbitmqBroker)
        return sum(self._amqp_retry(broker, queue) for queue in QUEUES)

    def _requeue(self, broker: dramatiq.Broker, message: dramatiq.Message[object]) -> None:
        self._ends.requeued(message.message_id)
        broker.enqueue(message.copy(options={"retries": 0}))

    def _stats_of(self, queue: str) -> QueueStats:
        broker = self._broker
        if isinstance(broker, RedisBroker):
            return _redis_stats(broker, queue)
        if isinstance(broker, StubBroker):
            return QueueStats(
                queue,
                waiting=broker.queues[queue].qsize(),
                retrying=broker.queues[dq_name(queue)].qsize(),
                in_progress=max(self._ends.in_progress[queue], 0),
                dead=len(broker.dead_letters_by_queue[queue]),
            )
        assert isinstance(broker, RabbitmqBroker)
        waiting, retrying, dead = broker.get_queue_message_counts(queue)
        return QueueStats(queue, waiting, retrying, in_progress=0, dead=dead)

    def _redis_retry(self, broker: RedisBroker, queue: str) -> int:
        client: redis.Redis = broker.client
        dead_key = f"{broker.namespace}:{xq_name(queue)}"
        retried = 0
        for redis_id, data in client.hgetall(f"{dead_key}.msgs").items():
            message = dramatiq.Message[object].decode(
                data if isinstance(data, bytes) else data.encode()
            )
            broker.enqueue(message.copy(options={"retries": 0}))
            client.hdel(f"{dead_key}.msgs", redis_id)
            client.zrem(dead_key, redis_id)
            retried += 1
        return retried

    def _stub_retry(self, broker: StubBroker, queue: str) -> int:
        dead = broker.dead_letters_by_queue[queue]
        retried = 0
        while dead:
            self._requeue(broker, dead.pop(0)._message)
            retried += 1
        return retried

    def _amqp_retry(self, broker: RabbitmqBroker, queue: str) -> int:
        channel = broker.channel
        retried = 0
        while True:
            method, _properties, body = channel.basic_get(xq_name(queue))
            if method is None:
                return retried
            self._requeue(broker, dramatiq.Message[object].decode(body))
            channel.basic_ack(method.delivery_tag)
            retried += 1


def _redis_stats(broker: RedisBroker, queue: str) -> QueueStats:
    client: redis.Redis = broker.client
    namespace = broker.namespace
    in_progress = 0
    for pattern in (f"{namespace}:__acks__.*.{queue}", f"{namespace}:__acks__.*.{dq_name(queue)}"):
        for key in client.scan_iter(match=pattern, count=500):
            in_progress += int(client.scard(key))
    return QueueStats(
        queue,
        waiting=int(client.llen(f"{namespace}:{queue}")),
        retrying=int(client.zcard(f"{namespace}:{dq_name(queue)}"))
        if client.type(f"{namespace}:{dq_name(queue)}") == b"zset"
        else int(client.llen(f"{namespace}:{dq_name(queue)}")),
        in_progress=in_progress,
        dead=int(client.zcard(f"{namespace}:{xq_name(queue)}")),
    )
