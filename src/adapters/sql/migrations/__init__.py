"""Alembic migrations of the access index (run by `media-stream db upgrade`, ADR 22)."""
