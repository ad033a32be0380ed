"""Alembic, driven from code: the migrations ship inside this package (ADR 22)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Migrations:
    """Upgrade, downgrade and read the revision of the database behind `engine`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upgrade(self, revision: str = "head") -> None:
        with self._engine.begin() as connection:
            command.upgrade(self._config(connection), revision)

    def downgrade(self, revision: str) -> None:
        with self._engine.begin() as connection:
            command.downgrade(self._config(connection), revision)

    def current(self) -> str | None:
        """The database's revision, None before the first migration."""
        with self._engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @staticmethod
    def head() -> str:
        head = ScriptDirectory.from_config(_config_for(None)).get_current_head()
        if head is None:
            raise RuntimeError("no migrations found in " + str(MIGRATIONS))
        return head

    @staticmethod
    def revisions() -> list[str]:
        """Every revision, oldest first."""
        script = ScriptDirectory.from_config(_config_for(None))
        return [revision.revision for revision in reversed(list(script.walk_revisions()))]

    @staticmethod
    def _config(connection: object) -> Config:
        return _config_for(connection)


def _config_for(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config
