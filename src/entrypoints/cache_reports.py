"""What the HTTP routes and the CLI tell about the cache: health, stats, flush outcomes."""

from __future__ import annotations

from application.errors import CacheUnavailable
from application.flush_tenant import TenantFlush
from application.tiered_cache import layer_name
from entrypoints.composition import Container

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


async def cache_stats(container: Container) -> dict[str, object]:
    """What can be counted from outside a node: Redis results and this machine's disk."""
    layers = {layer_name(layer): layer for layer in container.imaging.result_cache().layers}
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
