"""stored_results: the cost of making a result again, and indexes for ranking and cleanup

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stored_results") as table:
        table.add_column(sa.Column("cost_seconds", sa.Double, nullable=False, server_default="0"))
    op.create_index("ix_stored_results_heat", "stored_results", ["heat"])
    op.create_index("ix_stored_results_last_access_at", "stored_results", ["last_access_at"])


def downgrade() -> None:
    op.drop_index("ix_stored_results_last_access_at", "stored_results")
    op.drop_index("ix_stored_results_heat", "stored_results")
    with op.batch_alter_table("stored_results") as table:
        table.drop_column("cost_seconds")
