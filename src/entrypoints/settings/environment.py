"""Where each setting comes from: the process environment, the environment file, a Node name.

`read_environment` looks at both sources before the settings are validated and answers an
`Environment`: the values our settings take from Node names (`node_env.ALIASES`), the source
of every value, the Node variables that are honoured or only reported, the names that look
like ours but match nothing (with the closest known name), and the Node names that disagree
with ours (which stop start-up). The process environment wins over the file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from entrypoints.settings.node_env import ALIASES, NODE_VARIABLES, SAME_NAME, reported_why

# A variable with one of these prefixes is meant for media-stream (or was for the Node
# service); one that matches no known name is a typo worth a warning.
KNOWN_PREFIXES = (
    "RATE_LIMIT_", "CACHE_", "REDIS_", "HTTP_", "STORAGE_", "MONITORING_", "VALIDATION_",
    "SHUTDOWN_", "TENANT_DOMAINS_", "INTERNAL_", "HEALTH_", "PERFORMANCE_", "MAX_SOURCE_",
    "MAX_ANIMATION_", "IMAGE_", "CORS_", "EXTERNAL_REQUEST_", "PROCESSING_",
    "URL_SIGNING_", "PRESETS_", "JOBS_", "OFFLOAD_", "BROKER_", "SCHEDULER_",
)  # fmt: skip
# Read from the process environment by other parts of the service, or by libraries.
OTHER_KNOWN = frozenset({"ENV_FILE", "PROMETHEUS_MULTIPROC_DIR", "HTTP_PROXY", "HTTPS_PROXY"})

DEFAULT = "default"
ENVIRONMENT = "environment"


@dataclass(frozen=True, slots=True)
class Honoured:
    """A Node variable that was set and is honoured: under `ours`, from `raw`."""

    node: str
    ours: str
    raw: str
    source: str


@dataclass(frozen=True, slots=True)
class Environment:
    """What the environment and the file say, before the settings are validated."""

    aliased: dict[str, str]  # our name -> value taken from its Node name
    sources: dict[str, str]  # our name -> where its value comes from (absent = default)
    honoured: tuple[Honoured, ...]
    reported: tuple[tuple[str, str], ...]  # (Node name, why it does nothing here)
    unknown: tuple[tuple[str, str | None], ...]  # (name, closest known name)
    conflicts: tuple[str, ...]

    def source_of(self, name: str) -> str:
        """`default`, `environment`, the file's name, or `NODE_NAME (Node name, <source>)`."""
        return self.sources.get(name, DEFAULT)

    def warnings(self) -> list[str]:
        """One line per reported Node variable and per unknown name, for the start-up log."""
        lines = [f"{name} is not used by media-stream: {why}" for name, why in self.reported]
        for name, closest in self.unknown:
            hint = f"; did you mean {closest}?" if closest else ""
            lines.append(f"{name} matches no setting{hint}")
        return lines


def read_environment(
    fields: Iterable[str], env_file: Path, environ: Mapping[str, str] | None = None
) -> Environment:
    """Resolve Node names against our setting `fields`, from `environ` and `env_file`."""
    ours = frozenset(fields)
    file_name = env_file.name or str(env_file)
    present = _present(os.environ if environ is None else environ, env_file, file_name)
    aliased: dict[str, str] = {}
    sources = {name: source for name, (_, source) in present.items() if name in ours}
    honoured: list[Honoured] = []
    conflicts: list[str] = []
    for name, (raw, source) in sorted(present.items()):
        alias = ALIASES.get(name)
        if name in SAME_NAME and name in ours:
            honoured.append(Honoured(name, name, raw, source))
        if alias is None:
            continue
        honoured.append(Honoured(name, alias.ours, raw, source))
        converted = alias.convert(raw)
        if alias.ours in present:
            theirs, their_source = present[alias.ours]
            if not _same_value(converted, theirs):
                conflicts.append(
                    f"{name}={raw} ({source}) and {alias.ours}={theirs} ({their_source}) "
                    "name the same setting with different values: keep one"
                )
            continue
        aliased[alias.ours] = converted
        sources[alias.ours] = f"{name} (Node name, {source})"
    return Environment(
        aliased=aliased,
        sources=sources,
        honoured=tuple(honoured),
        reported=tuple(
            (name, why) for name in sorted(present) if (why := reported_why(name)) is not None
        ),
        unknown=_unknown(present, ours),
        conflicts=tuple(conflicts),
    )


def _present(
    environ: Mapping[str, str], env_file: Path, file_name: str
) -> dict[str, tuple[str, str]]:
    """Every variable set, upper-cased, with its value and source; the environment wins."""
    present: dict[str, tuple[str, str]] = {}
    if env_file.is_file():
        for name, value in dotenv_values(env_file).items():
            if value is not None:
                present[name.upper()] = (value, file_name)
    for name, value in environ.items():
        present[name.upper()] = (value, ENVIRONMENT)
    return present


def _unknown(
    present: Mapping[str, tuple[str, str]], ours: frozenset[str]
) -> tuple[tuple[str, str | None], ...]:
    known = ours | SAME_NAME | frozenset(NODE_VARIABLES) | OTHER_KNOWN
    candidates = sorted(ours | frozenset(ALIASES))
    unknown = []
    for name in sorted(present):
        if name in known or reported_why(name) is not None:
            continue
        if name.startswith(KNOWN_PREFIXES):
            closest = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
            unknown.append((name, closest[0] if closest else None))
    return tuple(unknown)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _same_value(first: str, second: str) -> bool:
    """Whether two raw values mean the same: equal text, numbers or booleans."""
    a, b = first.strip(), second.strip()
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        pass
    lowered = {a.lower(), b.lower()}
    return lowered <= _TRUE or lowered <= _FALSE
