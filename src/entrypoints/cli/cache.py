"""`media-stream cache flush-tenant T` and `media-stream cache stats`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from domain.errors import InvalidRequest
from entrypoints.cache_reports import cache_stats, flush_report
from entrypoints.composition import build_container, opened
from entrypoints.settings import Settings

EXIT_INCOMPLETE = 1
EXIT_BAD_TENANT = 2


def add_cache_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `cache flush-tenant` and `cache stats` under `commands`."""
    cache = commands.add_parser("cache", help="flush or count the result cache")
    actions = cache.add_subparsers(required=True, metavar="action")
    flush = actions.add_parser(
        "flush-tenant",
        help="drop a tenant's results from Redis, this machine's disk and every node's memory",
    )
    flush.add_argument("tenant", help="tenant schema name, e.g. acme")
    flush.set_defaults(handler=flush_tenant)
    stats = actions.add_parser(
        "stats", help="count results in Redis and on this machine's disk (memory: per node)"
    )
    stats.set_defaults(handler=show_stats)


def flush_tenant(settings: Settings, args: argparse.Namespace) -> int:
    """Flush one tenant; prints the same JSON as the HTTP route. Exit 1 when incomplete."""
    try:
        report = asyncio.run(_flush(settings, args.tenant))
    except InvalidRequest as exc:
        print(f"media-stream: {exc.message}", file=sys.stderr)
        return EXIT_BAD_TENANT
    print(json.dumps(report, indent=2))
    return 0 if report["flushed"] else EXIT_INCOMPLETE


def show_stats(settings: Settings, args: argparse.Namespace) -> int:
    """Print per-layer counts as JSON."""
    print(json.dumps(asyncio.run(_stats(settings)), indent=2))
    return 0


async def _flush(settings: Settings, tenant: str) -> dict[str, object]:
    container = build_container(settings)
    async with opened(container, container.imaging.flush_tenant):
        return flush_report(await container.imaging.flush_tenant()(tenant))


async def _stats(settings: Settings) -> dict[str, object]:
    container = build_container(settings)
    async with opened(container, container.imaging.result_cache):
        return await cache_stats(container)
