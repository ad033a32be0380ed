"""Alembic's environment: runs on the connection `Migrations` hands it (never a global URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from adapters.sql.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run the migrations through adapters.sql.Migrations")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
