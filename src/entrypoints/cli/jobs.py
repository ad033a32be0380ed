"""`media-stream worker`, `media-stream warm --file urls.txt [--wait]`, `media-stream jobs
stats | retry-dead` (ADR 27)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.table import Table

from domain.errors import InvalidRequest
from domain.jobs import Job, JobKind, JobState, Priority, QueueStats
from entrypoints.composition import Container, build_container, opened
from entrypoints.composition.jobs import broker_kind
from entrypoints.settings import Settings
from entrypoints.worker import QUEUES, run_workers

EXIT_FAILED = 1
EXIT_BAD_FILE = 2
POLL_SECONDS = 0.25


def add_job_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `worker`, `warm` and `jobs ...` under `commands`."""
    worker = commands.add_parser("worker", help="run background jobs until stopped")
    worker.add_argument("--processes", type=int, default=1, help="worker processes (1)")
    worker.add_argument("--threads", type=int, default=2, help="job threads per process (2)")
    worker.add_argument(
        "--queues", nargs="+", choices=QUEUES, default=[], help="queues to take jobs from (all)"
    )
    worker.set_defaults(handler=_worker)
    warm = commands.add_parser("warm", help="pre-generate every image URL path of a file")
    warm.add_argument("--file", type=Path, required=True, help="one image URL or path a line")
    warm.add_argument("--wait", action="store_true", help="until done; exit 1 if any failed")
    warm.set_defaults(handler=_warm)
    jobs = commands.add_parser("jobs", help="the background job queues")
    actions = jobs.add_subparsers(required=True, metavar="action")
    actions.add_parser("stats", help="waiting, retrying, in progress, dead").set_defaults(
        handler=_stats
    )
    actions.add_parser("retry-dead", help="queue every dead job again").set_defaults(
        handler=_retry_dead
    )


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    return run_workers(
        settings,
        processes=max(1, args.processes),
        threads=max(1, args.threads),
        queues=args.queues,
    )


def paths_of(lines: Sequence[str]) -> list[str]:
    """The URL paths of a pre-generation file: one URL or path a line; blanks and `#` lines
    skipped; a whole URL keeps only its path."""
    paths = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        paths.append(urlsplit(text).path if "://" in text else text.split("?", 1)[0])
    return paths


def _warm(settings: Settings, args: argparse.Namespace) -> int:
    try:
        lines = args.file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"media-stream: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_BAD_FILE
    # without a broker this process is the worker: it waits for its own jobs
    wait = args.wait or broker_kind(settings) == "memory"
    return asyncio.run(_pregenerate(settings, paths_of(lines), wait))


async def _pregenerate(settings: Settings, paths: list[str], wait: bool) -> int:
    console = Console(stderr=True)
    container = build_container(settings)
    async with opened(container, container.jobs.queue, container.jobs.worker):
        refused, ids = await _enqueue(container, paths, console)
        console.print(f"queued {len(ids)} of {len(paths)} paths ({len(refused)} refused)")
        if not wait:
            return EXIT_FAILED if refused else 0
        failed = await _follow(container, ids, console)
    for path in refused + failed:
        print(f"failed: {path}")
    return EXIT_FAILED if refused or failed else 0


async def _enqueue(
    container: Container, paths: list[str], console: Console
) -> tuple[list[str], dict[str, str]]:
    urls = container.features.image_urls()
    queue = container.jobs.queue()
    correlation = f"warm-{uuid.uuid4().hex[:12]}"
    refused: list[str] = []
    ids: dict[str, str] = {}
    for path in paths:
        try:
            urls.trusted_request_of(path)
        except InvalidRequest as exc:
            console.print(f"[yellow]{path}: {exc.message}[/yellow]")
            refused.append(path)
            continue
        job = Job(JobKind.GENERATE, {"path": path}, Priority.PREGENERATE, correlation)
        ids[await queue.enqueue(job)] = path
    return refused, ids


async def _follow(container: Container, ids: dict[str, str], console: Console) -> list[str]:
    """Wait until every job ended, printing progress; answers the paths that failed."""
    queue = container.jobs.queue()
    pending = set(ids)
    failed: list[str] = []
    total, shown = len(ids), -1
    while pending:
        states = await queue.states(sorted(pending))
        for job_id, state in states.items():
            if state is not JobState.PENDING:
                pending.discard(job_id)
                if state is JobState.FAILED:
                    failed.append(ids[job_id])
        finished = total - len(pending)
        if finished != shown:
            console.print(f"{finished}/{total} done, {len(failed)} failed")
            shown = finished
        if pending:
            await asyncio.sleep(POLL_SECONDS)
    return failed


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    async def counted() -> list[QueueStats]:
        container = build_container(settings)
        async with opened(container, container.jobs.queue):
            return list(await container.jobs.queue().stats())

    table = Table("queue", "waiting", "retrying", "in progress", "dead")
    for stats in asyncio.run(counted()):
        counts = (stats.waiting, stats.retrying, stats.in_progress, stats.dead)
        table.add_row(stats.queue, *map(str, counts))
    console = Console()
    console.print(table)
    if broker_kind(settings) == "memory":
        console.print("no broker configured (REDIS_URL, BROKER_URL): jobs run in each node")
    return 0


def _retry_dead(settings: Settings, args: argparse.Namespace) -> int:
    async def retried() -> int:
        container = build_container(settings)
        async with opened(container, container.jobs.queue):
            retried: int = await container.jobs.queue().retry_dead()
            return retried

    print(f"queued {asyncio.run(retried())} dead jobs again")
    return 0
