"""stored_results: one row per result on disk

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_results",
        sa.Column("tenant", sa.String(63), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("last_access_at", sa.Double, nullable=False),
        sa.Column("access_count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("heat", sa.Double, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("stored_results")
