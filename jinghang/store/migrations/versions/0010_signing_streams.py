"""signing_streams: the last MAVLink signing timestamp per stream, kept across restarts

Revision ID: 0010_signing_streams
Revises: 0008_case_shares
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_signing_streams"
down_revision: str | None = "0009_drone_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signing_streams",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.Integer(), nullable=False),
        sa.Column("source_component", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("link_id", "source_system", "source_component"),
    )


def downgrade() -> None:
    op.drop_table("signing_streams")
