"""Background jobs on Dramatiq: Redis, RabbitMQ or the in-process stub broker."""

from adapters.dramatiq.brokers import (
    JobEnds,
    QueueCounts,
    declared,
    rabbitmq_broker,
    redis_broker,
    stub_broker,
)
from adapters.dramatiq.job_queue import DramatiqJobQueue, DramatiqJobWorker, RetryPolicy
from adapters.dramatiq.ledger import JobLedger, MemoryJobLedger, RedisJobLedger

__all__ = [
    "DramatiqJobQueue",
    "DramatiqJobWorker",
    "JobEnds",
    "JobLedger",
    "MemoryJobLedger",
    "QueueCounts",
    "RedisJobLedger",
    "RetryPolicy",
    "declared",
    "rabbitmq_broker",
    "redis_broker",
    "stub_broker",
]
