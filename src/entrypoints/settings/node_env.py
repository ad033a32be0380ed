"""The Node service's environment variables, and what media-stream does with each.

Operators keep the `.env` they ran the Node service with. Every variable of that service is in
exactly one of three places here:

- `SAME_NAME`: read under the same name, with the same unit;
- `ALIASES`: read as another name of one of our settings (`RATE_LIMIT_DEFAULT_MAX` is
  `RATE_LIMIT_MAX_REQUESTS`), its value converted where the unit differs;
- `REPORTED` (and the `REPORTED_FAMILIES` prefixes): nothing here does what it did, so start-up
  and `media-stream config check` say so, with why and what to use instead.

Nothing is silently ignored: a test walks `NODE_VARIABLES` and checks each is in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


def _unchanged(value: str) -> str:
    return value.strip()


def _whole_threads(value: str) -> str:
    """PROCESSING_CPU_CORES (a CPU share such as 1.5) as a thread count (rounded up)."""
    try:
        cores = float(value)
    except ValueError:
        return value.strip()  # left for the setting's own validation to name
    return str(max(1, math.ceil(cores))) if math.isfinite(cores) else value.strip()


@dataclass(frozen=True, slots=True)
class NodeAlias:
    """A Node variable read as another name of one of our settings."""

    node: str
    ours: str
    convert: Callable[[str], str] = _unchanged
    note: str = ""


ALIASES: dict[str, NodeAlias] = {
    alias.node: alias
    for alias in (
        NodeAlias("RATE_LIMIT_DEFAULT_WINDOW_MS", "RATE_LIMIT_WINDOW_MS"),
        NodeAlias("RATE_LIMIT_DEFAULT_MAX", "RATE_LIMIT_MAX_REQUESTS"),
        NodeAlias("RATE_LIMIT_IMAGE_PROCESSING_WINDOW_MS", "RATE_LIMIT_IMAGE_WINDOW_MS"),
        NodeAlias("RATE_LIMIT_IMAGE_PROCESSING_MAX", "RATE_LIMIT_IMAGE_MAX_REQUESTS"),
        NodeAlias("RATE_LIMIT_HEALTH_CHECK_WINDOW_MS", "RATE_LIMIT_HEALTH_WINDOW_MS"),
        NodeAlias("RATE_LIMIT_HEALTH_CHECK_MAX", "RATE_LIMIT_HEALTH_MAX_REQUESTS"),
        NodeAlias("CACHE_MEMORY_DEFAULT_TTL", "CACHE_MEMORY_TTL"),
        NodeAlias("CACHE_WARMING_MAX_FILES", "CACHE_WARMING_TOP_N"),
        NodeAlias("HTTP_CIRCUIT_BREAKER_MINIMUM_REQUESTS", "HTTP_CIRCUIT_BREAKER_MIN_REQUESTS"),
        NodeAlias("MONITORING_SYSTEM_METRICS_INTERVAL", "MONITORING_INTERVAL"),
        NodeAlias("MONITORING_PERFORMANCE_METRICS_INTERVAL", "MONITORING_PERFORMANCE_INTERVAL"),
        NodeAlias(
            "PROCESSING_CPU_CORES",
            "IMAGE_WORKER_THREADS",
            _whole_threads,
            "a CPU share becomes that many Pillow threads, rounded up",
        ),
    )
}

# Read under the Node service's own name and unit.
SAME_NAME = frozenset(
    {
        "PORT",
        "HOST",
        "CORS_ORIGIN",
        "CORS_METHODS",
        "CORS_MAX_AGE",
        "CACHE_MEMORY_MAX_SIZE",
        "CACHE_MEMORY_MAX_KEYS",
        "CACHE_MEMORY_WARNING_THRESHOLD",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_PASSWORD",
        "REDIS_DB",
        "CACHE_FILE_DIRECTORY",
        "CACHE_WARMING_ENABLED",
        "CACHE_WARMING_ON_START",
        "CACHE_WARMING_THRESHOLD",
        "CACHE_WARMING_CRON",
        "CACHE_IMAGE_PUBLIC_TTL",
        "CACHE_IMAGE_PRIVATE_TTL",
        "CACHE_IMAGE_NEGATIVE_TTL",
        "MONITORING_ENABLED",
        "BACKEND_URL",
        "EXTERNAL_REQUEST_TIMEOUT",
        "HTTP_TIMEOUT",
        "HTTP_MAX_RETRIES",
        "HTTP_RETRY_DELAY",
        "HTTP_MAX_RETRY_DELAY",
        "HTTP_POOL_MAX_SOCKETS",
        "HTTP_POOL_KEEP_ALIVE_MS",
        "HTTP_CIRCUIT_BREAKER_ENABLED",
        "HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD",
        "HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT",
        "HTTP_CIRCUIT_BREAKER_MONITORING_PERIOD",
        "HTTP_HEALTH_CHECK_URLS",
        "HTTP_HEALTH_CHECK_TIMEOUT",
        "RATE_LIMIT_ENABLED",
        "RATE_LIMIT_BYPASS_HEALTH_CHECKS",
        "RATE_LIMIT_BYPASS_STATIC_ASSETS",
        "RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS",
        "RATE_LIMIT_BYPASS_BOTS",
        "VALIDATION_ALLOWED_DOMAINS",
        "VALIDATION_MAX_STRING_LENGTH",
        "TENANT_DOMAINS_REFRESH_URL",
        "INTERNAL_DOMAINS_SECRET",
        "TENANT_DOMAINS_REFRESH_INTERVAL_MS",
        "SHUTDOWN_TIMEOUT",
        "SHUTDOWN_FORCE_TIMEOUT",
        "INTERNAL_ADMIN_SECRET",
        "STORAGE_MAX_SIZE",
        "STORAGE_MAX_FILE_AGE_DAYS",
        "STORAGE_WARNING_SIZE",
        "STORAGE_CRITICAL_SIZE",
        "STORAGE_WARNING_FILE_COUNT",
        "STORAGE_CRITICAL_FILE_COUNT",
        "STORAGE_CLEANUP_ENABLED",
        "STORAGE_CLEANUP_CRON",
        "STORAGE_CLEANUP_DRY_RUN",
        "STORAGE_CLEANUP_MAX_DURATION",
        "STORAGE_EVICTION_STRATEGY",
        "STORAGE_EVICTION_AGGRESSIVENESS",
        "STORAGE_EVICTION_PRESERVE_POPULAR",
        "STORAGE_EVICTION_MIN_ACCESS_COUNT",
        "STORAGE_EVICTION_MAX_FILE_AGE_DAYS",
    }
)

_WARMING = "popular results are copied into memory by the cache warming (CACHE_WARMING_*)"

# Nothing here does what these did; each is named at start-up with why.
REPORTED: dict[str, str] = {
    "NODE_ENV": (
        "media-stream has no environments; NODE_ENV=development no longer turns rate limits "
        "off (set RATE_LIMIT_ENABLED=false for that)"
    ),
    "CACHE_MEMORY_CHECK_PERIOD": (
        "expired memory entries are dropped when read (CACHE_MEMORY_TTL); there is no sweep"
    ),
    "REDIS_TTL": "results stay in Redis for CACHE_IMAGE_PRIVATE_TTL; nothing else lives there",
    "REDIS_MAX_RETRIES": (
        "a broken Redis connection is retried once, then Redis is skipped for "
        "REDIS_RETRY_AFTER (requests never wait on Redis retries)"
    ),
    "REDIS_HEALTH_CACHE_TTL": (
        "the redis health indicator reads the node's Redis circuit, no probe to memoise"
    ),
    "CACHE_WARMING_BASE_TTL": "warmed results keep their normal lifetimes",
    "CACHE_PRELOADING_ENABLED": _WARMING,
    "CACHE_PRELOADING_INTERVAL": _WARMING,
}

_OPTIMIZATION = (
    "result files are not recompressed or deduplicated: each is one encoded image, written "
    "once; the disk tier is kept in bounds by eviction and cleanup (STORAGE_*, ADR 23)"
)
# Whole families reported by prefix.
REPORTED_FAMILIES: dict[str, str] = {"STORAGE_OPTIMIZATION_": _OPTIMIZATION}

# Every variable the Node service read (its .env.example and its configuration schema).
NODE_VARIABLES: tuple[str, ...] = (
    *sorted(SAME_NAME),
    *sorted(ALIASES),
    *sorted(REPORTED),
    "STORAGE_OPTIMIZATION_ENABLED",
    "STORAGE_OPTIMIZATION_STRATEGIES",
    "STORAGE_OPTIMIZATION_POPULAR_THRESHOLD",
    "STORAGE_OPTIMIZATION_COMPRESSION_LEVEL",
    "STORAGE_OPTIMIZATION_CREATE_BACKUPS",
    "STORAGE_OPTIMIZATION_MAX_TIME",
)


def reported_why(name: str) -> str | None:
    """Why `name` (a Node variable) does nothing here, or None when it is honoured."""
    if name in REPORTED:
        return REPORTED[name]
    for prefix, why in REPORTED_FAMILIES.items():
        if name.startswith(prefix):
            return why
    return None
