"""Reloading while serving: what may change at once, what needs a restart, who is told."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from domain.policy import HostAllowList, NamingHostPolicy
from entrypoints.settings.load import load_settings
from entrypoints.settings.model import Settings
from entrypoints.settings.values import SettingsError

log = logging.getLogger("entrypoints.settings")

# Changing these needs a restart: the address, the storage and the origin the node is built on.
CRITICAL = ("HOST", "PORT", "CACHE_FILE_DIRECTORY", "REDIS_URL", "BACKEND_URL")
# Read again by their users at every use, so a reload applies them; every other setting is
# built into a long-lived object (a pool, a cache bound) and needs a restart too.
RELOADABLE = frozenset(
    {
        "LOG_LEVEL",
        "LOG_FORMAT",
        "INTERNAL_ADMIN_SECRET",
        "CACHE_IMAGE_PUBLIC_TTL",
        "CACHE_IMAGE_NEGATIVE_TTL",
        "VALIDATION_ALLOWED_DOMAINS",
        "VALIDATION_MAX_STRING_LENGTH",
        "SLOW_REQUEST_THRESHOLD_MS",
        "SHUTDOWN_TIMEOUT",
        "SHUTDOWN_FORCE_TIMEOUT",
        "HEALTH_CHECK_TIMEOUT",
        "HEALTH_DISK_WARN_PERCENT",
        "HEALTH_DISK_DOWN_PERCENT",
        "HEALTH_MEMORY_WARN_PERCENT",
        "HEALTH_MEMORY_DOWN_PERCENT",
        "MONITORING_INTERVAL",
        "STORAGE_MAX_SIZE",
        "STORAGE_MAX_FILE_AGE_DAYS",
        "STORAGE_WARNING_SIZE",
        "STORAGE_CRITICAL_SIZE",
        "STORAGE_WARNING_FILE_COUNT",
        "STORAGE_CRITICAL_FILE_COUNT",
        "STORAGE_CLEANUP_DRY_RUN",
        "STORAGE_CLEANUP_MAX_DURATION",
        "STORAGE_EVICTION_STRATEGY",
        "STORAGE_EVICTION_AGGRESSIVENESS",
        "STORAGE_EVICTION_PRESERVE_POPULAR",
        "STORAGE_EVICTION_MIN_ACCESS_COUNT",
        "STORAGE_EVICTION_MAX_FILE_AGE_DAYS",
        "STORAGE_EVICTION_GRACE",
        "PERFORMANCE_WINDOW",
        "PERFORMANCE_MIN_SAMPLES",
        "PERFORMANCE_DEGRADATION_FACTOR",
        "PERFORMANCE_THRESHOLDS_MS",
        "RATE_LIMIT_WINDOW_MS",
        "RATE_LIMIT_MAX_REQUESTS",
        "RATE_LIMIT_IMAGE_MAX_REQUESTS",
        "RATE_LIMIT_STRATEGY",
        "RATE_LIMIT_IMAGE_WINDOW_MS",
        "RATE_LIMIT_HEALTH_WINDOW_MS",
        "RATE_LIMIT_HEALTH_MAX_REQUESTS",
        "RATE_LIMIT_BYPASS_HEALTH_CHECKS",
        "RATE_LIMIT_BYPASS_STATIC_ASSETS",
        "RATE_LIMIT_BYPASS_BOTS",
        "RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS",
        "MONITORING_PERFORMANCE_INTERVAL",
    }
)


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    """What a reload did: settings applied, changes that need a restart, or why it failed."""

    applied: tuple[str, ...] = ()
    needs_restart: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "applied": list(self.applied),
            "needsRestart": list(self.needs_restart),
            "problems": list(self.problems),
        }


class LiveSettings:
    """The settings in force now; components that honour reloads read `current` at each use.

    `reload()` reads the environment and the environment file again, applies the changed
    RELOADABLE settings, and logs every other change as needing a restart without applying it.
    An invalid file changes nothing and reports every problem. Listeners registered with
    `subscribe` are called with the new settings after each reload that applied something.
    """

    def __init__(
        self, settings: Settings, load: Callable[[], Settings] = lambda: load_settings()
    ) -> None:
        self._current = settings
        self._load = load
        self._listeners: list[Callable[[Settings], None]] = []

    @property
    def current(self) -> Settings:
        return self._current

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        """Call `listener(new_settings)` after every reload that applied a change."""
        self._listeners.append(listener)

    def reload(self) -> ReloadOutcome:
        """Re-read the settings; apply what may change while running."""
        try:
            fresh = self._load()
        except SettingsError as exc:
            log.error("settings not reloaded: %s", exc)
            return ReloadOutcome(problems=(str(exc),))
        before, after = self._current.model_dump(), fresh.model_dump()
        changed = [name for name in after if before.get(name) != after[name]]
        applied = tuple(name for name in changed if name in RELOADABLE)
        needs_restart = tuple(name for name in changed if name not in RELOADABLE)
        for name in needs_restart:
            log.warning("%s changed: needs a restart, not applied", name, extra={"setting": name})
        if applied:
            self._current = self._current.model_copy(update={name: after[name] for name in applied})
            log.info("settings reloaded: %s", ", ".join(applied), extra={"applied": list(applied)})
            self._notify()
        else:
            log.info("settings reloaded: nothing to apply")
        return ReloadOutcome(applied=applied, needs_restart=needs_restart)

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener(self._current)
            except Exception:
                log.exception("a settings listener failed")


class LiveHostAllowList(NamingHostPolicy):
    """The allow-list of the settings in force, so a reloaded VALIDATION_ALLOWED_DOMAINS applies."""

    def __init__(self, live: LiveSettings) -> None:
        self._live = live
        self._built_for: Settings | None = None
        self._allow_list = HostAllowList(frozenset())

    def _current(self) -> HostAllowList:
        current = self._live.current
        if current is not self._built_for:
            self._allow_list = HostAllowList.of(current.allowed_domains)
            self._built_for = current
        return self._allow_list

    def permits(self, host: str) -> bool:
        return self._current().permits(host)

    def names(self, host: str) -> bool:
        """True when the allow-list in force names `host` exactly."""
        return self._current().names(host)
