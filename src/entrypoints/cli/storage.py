"""`media-stream storage stats | cleanup | evict | reconcile`, `media-stream db upgrade | current`.

Each command opens the access index (the embedded SQLite file migrates itself first) and the
disk of CACHE_FILE_DIRECTORY. They are safe while the server runs: SQLite is in WAL mode, rows
are removed only if still unused, and a file is unlinked, never rewritten, so a request reading
it reads it whole.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from application.errors import AccessIndexUnavailable
from application.progress import Progress as ProgressPort
from entrypoints.composition import Container, build_container, opened
from entrypoints.composition.storage import schema_revision
from entrypoints.settings import Settings

T = TypeVar("T")
EXIT_INDEX_DOWN = 1


def add_storage_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `storage ...` and `db ...` under `commands`."""
    storage = commands.add_parser("storage", help="measure, evict, clean up or rebuild the disk")
    actions = storage.add_subparsers(required=True, metavar="action")
    actions.add_parser("stats", help="bytes and files by tenant and format, against STORAGE_*")
    actions.choices["stats"].set_defaults(handler=_stats)
    cleanup = actions.add_parser("cleanup", help="remove temporary, unused and orphan files")
    cleanup.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    cleanup.set_defaults(handler=_cleanup)
    evict = actions.add_parser("evict", help="evict by STORAGE_EVICTION_STRATEGY")
    evict.add_argument("--target-bytes", type=int, help="down to N bytes (default: thresholds)")
    evict.add_argument("--dry-run", action="store_true", help="choose, remove nothing")
    evict.set_defaults(handler=_evict)
    reconcile = actions.add_parser("reconcile", help="rebuild the index from the disk")
    reconcile.set_defaults(handler=_reconcile)
    db = commands.add_parser("db", help="the access index's schema (Alembic)")
    db_actions = db.add_subparsers(required=True, metavar="action")
    db_actions.add_parser("upgrade", help="migrate to the latest revision").set_defaults(
        handler=_db_upgrade
    )
    db_actions.add_parser("current", help="print the database's revision").set_defaults(
        handler=_db_current
    )


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    report = _run(settings, lambda c: c.storage.measure()())
    if report is None:
        return EXIT_INDEX_DOWN
    console = Console()
    limits = report.thresholds
    console.print(
        f"[bold]{report.used.bytes:,} bytes in {report.used.files:,} files[/bold]  "
        f"level {report.level.value}  (warning {limits.warning_size:,} / critical "
        f"{limits.critical_size:,} / max {limits.max_size:,} bytes; files "
        f"{limits.warning_files:,} / {limits.critical_files:,})"
    )
    for problem in report.problems:
        console.print(f"  [yellow]{problem}[/yellow]")
    table = Table("tenant", "format", "files", "bytes", "share")
    total = max(report.used.bytes, 1)
    for group in report.groups:
        share = f"{100 * group.bytes / total:.1f} %"
        table.add_row(group.tenant, group.format, f"{group.files:,}", f"{group.bytes:,}", share)
    console.print(table)
    return 0


def _cleanup(settings: Settings, args: argparse.Namespace) -> int:
    async def clean(container: Container) -> object:
        with _bars() as bars:
            return await container.storage.clean_up()(
                dry_run=args.dry_run or settings.STORAGE_CLEANUP_DRY_RUN,
                budget=settings.STORAGE_CLEANUP_MAX_DURATION / 1000,
                progress=bars,
            )

    report = _run(settings, clean)
    if report is None:
        return EXIT_INDEX_DOWN
    print(report)
    return 0


def _evict(settings: Settings, args: argparse.Namespace) -> int:
    if args.target_bytes is not None and args.target_bytes < 0:
        print("media-stream: --target-bytes must be 0 or more", file=sys.stderr)
        return 2

    async def evict(container: Container) -> object:
        with _bars() as bars:
            return await container.storage.evict()(
                target_bytes=args.target_bytes, dry_run=args.dry_run, progress=bars
            )

    report = _run(settings, evict)
    if report is None:
        return EXIT_INDEX_DOWN
    print(report)
    return 0


def _reconcile(settings: Settings, args: argparse.Namespace) -> int:
    async def reconcile(container: Container) -> object:
        with _bars() as bars:
            return await container.storage.reconcile()(bars)

    report = _run(settings, reconcile)
    if report is None:
        return EXIT_INDEX_DOWN
    print(report)
    return 0


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    try:
        current, _ = schema_revision(settings, upgrade=True)
    except AccessIndexUnavailable as exc:
        print(f"media-stream: {exc}", file=sys.stderr)
        return EXIT_INDEX_DOWN
    print(f"access index at revision {current}")
    return 0


def _db_current(settings: Settings, args: argparse.Namespace) -> int:
    try:
        current, head = schema_revision(settings)
    except AccessIndexUnavailable as exc:
        print(f"media-stream: {exc}", file=sys.stderr)
        return EXIT_INDEX_DOWN
    behind = "" if current == head else "; run `media-stream db upgrade`"
    print(f"{current or 'none'} (latest {head}){behind}")
    return 0


def _run(settings: Settings, work: Callable[[Container], Awaitable[T]]) -> T | None:
    async def run() -> T:
        # the commands work the index whether or not the node records into it
        container = build_container(settings.model_copy(update={"ACCESS_INDEX_ENABLED": True}))
        storage = container.storage
        async with opened(container, storage.measure, storage.evict, storage.reconcile):
            return await work(container)

    try:
        return asyncio.run(run())
    except AccessIndexUnavailable as exc:
        print(f"media-stream: {exc}", file=sys.stderr)
        return None


class _Bars(ProgressPort):
    """Rich progress bars, one per stage."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def begin(self, stage: str, total: int | None = None) -> None:
        self._task = self._progress.add_task(stage, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


@contextmanager
def _bars() -> Iterator[_Bars]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as progress:
        yield _Bars(progress)
