"""The access index's table, as the latest migration leaves it (migrations/ is the truth)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Double, Index, MetaData, String, Table, Text

metadata = MetaData()

stored_results = Table(
    "stored_results",
    metadata,
    Column("tenant", String(63), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("source", Text, nullable=False, server_default=""),
    Column("format", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Double, nullable=False),
    Column("last_access_at", Double, nullable=False),
    Column("access_count", BigInteger, nullable=False, server_default="0"),
    Column("heat", Double, nullable=False, server_default="0"),
    Column("cost_seconds", Double, nullable=False, server_default="0"),
    Index("ix_stored_results_heat", "heat"),
    Index("ix_stored_results_last_access_at", "last_access_at"),
)
