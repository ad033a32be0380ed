"""Settings from the environment (and `.env`), with the Node service's variable names.

One model per concern (`service`, `cache`, `origin`, `imaging`, `protection`, `operations`,
`storage`),
the domain policies each makes beside it, reading in `load`, reloading in `live`, and the Node
service's names in `node_env` and `environment`. Nothing is read at import time:
`load_settings()` is called by the entrypoints, and tests build `Settings(...)` directly.
"""

from entrypoints.settings.live import (
    CRITICAL,
    RELOADABLE,
    LiveHostAllowList,
    LiveSettings,
    ReloadOutcome,
)
from entrypoints.settings.load import (
    ENV_FILE_VARIABLE,
    REDACTED,
    SECRETS,
    env_file,
    inspect_environment,
    load_settings,
    redacted,
)
from entrypoints.settings.model import Settings
from entrypoints.settings.values import MIB, ONE_YEAR, SAMPLES_DIRECTORY, SettingsError

__all__ = [
    "CRITICAL",
    "ENV_FILE_VARIABLE",
    "MIB",
    "ONE_YEAR",
    "REDACTED",
    "RELOADABLE",
    "SAMPLES_DIRECTORY",
    "SECRETS",
    "LiveHostAllowList",
    "LiveSettings",
    "ReloadOutcome",
    "Settings",
    "SettingsError",
    "env_file",
    "inspect_environment",
    "load_settings",
    "redacted",
]
