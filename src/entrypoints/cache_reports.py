"""What the HTTP routes and the CLI tell about the cache: health, stats, flush outcomes."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

from adapters.redis import RedisFlushBroadcast
from application.errors import CacheUnavailable
from application.flush_tenant import TenantFlush
from application.tiered_cache import layer_name
from entrypoints.container import Container

UP, DOWN, DISABLED = "up", "down", "disabled"
MEMORY_IS_PER_PROCESS = "per process: see GET /health on each node"


def flush_report(outcome: TenantFlush) -> dict[str, object]:
    """The JSON answer to a flush, for the HTTP route and the CLI alike."""
    return {
        "flushed": outcome.complete,
        "tenant": outcome.tenant,
        "results": outcome.results,
        "missingOriginals": outcome.missing,
        "accessCounts": outcome.access_counts,
        "nodesNotified": outcome.nodes_notified,
    }


async def health_report(container: Container) -> tuple[bool, dict[str, object]]:
    """Every cache indicator of this node, and whether all of them are up (or disabled)."""
    checks: dict[str, dict[str, object]] = {
        "redis": await redis_indicator(container),
        "memoryCache": memory_indicator(container),
        "disk": await disk_indicator(container.settings().CACHE_FILE_DIRECTORY),
        "cache": cache_indicator(container),
    }
    healthy = all(check["status"] != DOWN for check in checks.values())
    return healthy, {"status": "ok" if healthy else "error", "checks": checks}


async def redis_indicator(container: Container) -> dict[str, object]:
    """Redis as this node sees it: probed unless its circuit is open and still pausing."""
    if not container.settings().redis_url:
        return {"status": DISABLED}
    state = await container.adapters.redis_circuit().ping()
    broadcast = container.adapters.flush_broadcast()
    listening = isinstance(broadcast, RedisFlushBroadcast) and broadcast.listening
    indicator: dict[str, object] = {
        "status": UP if state.up else DOWN,
        "flushSubscription": "listening" if listening else "reconnecting",
    }
    if not state.up:
        indicator |= {
            "error": state.last_error,
            "failedAttempts": state.failures,
            "retryInSeconds": round(state.retry_in, 3),
        }
    return indicator


def memory_indicator(container: Container) -> dict[str, object]:
    """The memory tier of this process: occupancy, bounds and counters."""
    memory = container.adapters.memory_cache()
    stats = memory.stats()
    return {
        "status": UP,
        "entries": stats.entries,
        "bytes": stats.size,
        "maxEntries": memory.max_keys,
        "maxBytes": memory.max_bytes,
        "tenants": len(memory.tenant_sizes()),
        "hits": stats.hits,
        "misses": stats.misses,
        "evictions": stats.evictions,
    }


def cache_indicator(container: Container) -> dict[str, object]:
    """Hits and misses of every layer, counted by this process since it started."""
    counters = container.adapters.result_cache().counters()
    layers = {name: {"hits": c.hits, "misses": c.misses} for name, c in counters.items()}
    return {"status": UP, "layers": layers}


async def disk_indicator(directory: Path) -> dict[str, object]:
    """Whether the cache directory takes a write, and the free space left on it."""
    return await asyncio.to_thread(_probe_directory, directory)


def _probe_directory(directory: Path) -> dict[str, object]:
    probe = directory / f".health-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
        free = shutil.disk_usage(directory).free
    except OSError as exc:
        return {"status": DOWN, "error": f"{type(exc).__name__}: {exc.strerror or exc}"}
    return {"status": UP, "freeBytes": free}


async def cache_stats(container: Container) -> dict[str, object]:
    """What can be counted from outside a node: Redis results and this machine's disk."""
    layers = {layer_name(layer): layer for layer in container.adapters.result_cache().layers}
    report: dict[str, object] = {"memory": MEMORY_IS_PER_PROCESS}
    for name in ("redis", "disk"):
        layer = layers.get(name)
        if layer is None:
            report[name] = {"status": DISABLED}
            continue
        try:
            usage = await layer.usage()
        except CacheUnavailable as exc:
            report[name] = {"status": DOWN, "error": str(exc)}
            continue
        report[name] = {"status": UP, "results": usage.entries, "bytes": usage.bytes}
    return report
