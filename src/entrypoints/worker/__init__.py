"""`media-stream worker`: processes that run background jobs (ADR 27).

Each process builds the same container as a web node, makes its jobs ring a worker's
(`run_as_worker`: the queues to consume, the threads, a heartbeat), opens what that worker
reaches and runs jobs until SIGTERM or SIGINT; then it finishes the jobs in hand and closes
the container. A job a killed process held goes back to its queue once the process's
heartbeat is older than JOBS_HEARTBEAT_TIMEOUT (Dramatiq acknowledges a job after it ran).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Sequence

from domain.jobs import Priority
from entrypoints.composition import Container, build_container, opened
from entrypoints.composition.jobs import broker_kind, run_as_worker
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings

log = logging.getLogger("media_stream.worker")
QUEUES = tuple(priority.value for priority in Priority)
EXIT_NO_BROKER = 2


def run_workers(
    settings: Settings, *, processes: int, threads: int, queues: Sequence[str] = ()
) -> int:
    """Run `processes` worker processes (this one alone for 1) until stopped."""
    if broker_kind(settings) == "memory":
        log.error("a worker needs a broker: set REDIS_URL or BROKER_URL")
        return EXIT_NO_BROKER
    if processes <= 1:
        return run_worker(settings, threads, tuple(queues))
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=run_worker, args=(settings, threads, tuple(queues)), daemon=False)
        for _ in range(processes)
    ]
    for child in children:
        child.start()

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()  # each finishes the jobs in hand, then stops

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.join()
    return max((child.exitcode or 0) for child in children)


def run_worker(settings: Settings, threads: int, queues: tuple[str, ...]) -> int:
    """One worker process: the container opened, jobs run until a signal stops it."""
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    container = build_container(settings)
    run_as_worker(container, threads, queues or QUEUES)
    asyncio.run(_until_stopped(container, threads, queues or QUEUES))
    return 0


async def _until_stopped(container: Container, threads: int, queues: tuple[str, ...]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with opened(container, container.jobs.worker):
        log.info("worker ready: queues %s, %d threads", ",".join(queues), threads)
        await stop.wait()
        log.info("worker stopping: finishing the jobs in hand")
