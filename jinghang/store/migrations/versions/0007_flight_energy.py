"""flight_energy: each landed flight's planned against used time and energy

Revision ID: 0007_flight_energy
Revises: 0006_alerts
Create Date: 2026-12-02 00:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_flight_energy"
down_revision: str | None = "0006_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flight_energy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_system_id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("patrol_run_id", sa.Integer(), nullable=True),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("planned_time_s", sa.Float(), nullable=False),
        sa.Column("planned_pct", sa.Float(), nullable=False),
        sa.Column("nominal_endurance_s", sa.Float(), nullable=False),
        sa.Column("flown_time_s", sa.Float(), nullable=True),
        sa.Column("consumed_mah", sa.Float(), nullable=True),
        sa.Column("energy_wh", sa.Float(), nullable=True),
        sa.Column("capacity_mah", sa.Float(), nullable=True),
        sa.Column("remaining_before_pct", sa.Float(), nullable=True),
        sa.Column("remaining_after_pct", sa.Float(), nullable=True),
        sa.Column("used_pct", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("skip_code", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flight_energy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flight_energy_vehicle_system_id"),
                              ["vehicle_system_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flight_energy_mission_id"), ["mission_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_flight_energy_landed_at"), ["landed_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flight_energy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flight_energy_landed_at"))
        batch_op.drop_index(batch_op.f("ix_flight_energy_mission_id"))
        batch_op.drop_index(batch_op.f("ix_flight_energy_vehicle_system_id"))
    op.drop_table("flight_energy")
