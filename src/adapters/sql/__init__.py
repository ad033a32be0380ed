"""SQL adapter (SQLAlchemy 2): the access index in SQLite or PostgreSQL, and its migrations."""

from adapters.sql.access_index import SqlAccessIndex, engine_url
from adapters.sql.migrate import Migrations

__all__ = ["Migrations", "SqlAccessIndex", "engine_url"]
