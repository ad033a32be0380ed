"""Reading the settings: from the environment and the env file, Node names resolved, every
problem named; and showing them with secrets masked."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from entrypoints.settings.environment import Environment, read_environment
from entrypoints.settings.model import Settings
from entrypoints.settings.values import SettingsError


def load_settings(**overrides: object) -> Settings:
    """Read the settings; an invalid one raises `SettingsError` naming the variable.

    Node names (`node_env.py`) are read as the settings they name; a Node name and ours set
    to different values is an error naming both.
    """
    overrides.setdefault("_env_file", env_file())
    environment = inspect_environment(Path(str(overrides["_env_file"])))
    if environment.conflicts:
        raise SettingsError("invalid settings: " + "; ".join(environment.conflicts))
    try:
        return Settings(**{**environment.aliased, **overrides})  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{_named(environment, error['loc'])}: {error['msg']}" if error["loc"] else error["msg"]
            for error in exc.errors()
        ]
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc


def inspect_environment(file: Path | None = None) -> Environment:
    """Where every setting comes from, and what becomes of the Node service's variables."""
    return read_environment(Settings.model_fields, file or env_file())


def _named(environment: Environment, location: tuple[int | str, ...]) -> str:
    """The variable an error is about, with the Node name it was read from, if any."""
    name = ".".join(str(part) for part in location)
    source = environment.source_of(name)
    return f"{name} (from {source.partition(' ')[0]})" if "Node name" in source else name


ENV_FILE_VARIABLE = "ENV_FILE"
SECRETS = frozenset(
    {"INTERNAL_ADMIN_SECRET", "INTERNAL_DOMAINS_SECRET", "REDIS_PASSWORD", "URL_SIGNING_KEYS"}
)
REDACTED = "********"


def env_file() -> Path:
    """The environment file settings are read from: `ENV_FILE`, else `.env` (may not exist)."""
    return Path(os.environ.get(ENV_FILE_VARIABLE) or ".env")


def redacted(settings: Settings) -> dict[str, object]:
    """Every setting by name, secrets masked (and the password of any URL)."""
    shown: dict[str, object] = {}
    for name, value in settings.model_dump().items():
        if name in SECRETS and value:
            shown[name] = REDACTED
        elif isinstance(value, str) and "://" in value:
            shown[name] = _without_password(value)
        elif isinstance(value, Path):
            shown[name] = str(value)
        elif isinstance(value, tuple):
            shown[name] = ",".join(value)
        else:
            shown[name] = value
    return shown


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{REDACTED}@", 1)
    return parts._replace(netloc=netloc).geturl()
