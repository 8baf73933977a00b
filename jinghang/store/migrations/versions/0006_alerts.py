"""alerts: server-side alerts, one per cause, counted, acknowledged for everyone

Revision ID: 0006_alerts
Revises: 0005_cases_and_sorties
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_alerts"
down_revision: str | None = "0005_cases_and_sorties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("vehicle_system_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alerts_vehicle_system_id"), ["vehicle_system_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alerts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_first_seen_at"), ["first_seen_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_first_seen_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_case_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_vehicle_system_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_code"))
        batch_op.drop_index(batch_op.f("ix_alerts_key"))
    op.drop_table("alerts")
