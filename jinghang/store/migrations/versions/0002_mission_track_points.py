"""mission track points: the flown track of every mission (sampled positions)

Revision ID: 0002_track_points
Revises: 0001_initial
Create Date: 2026-11-27 06:31:13.428719
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_track_points"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mission_track_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latitude_deg", sa.Float(), nullable=False),
        sa.Column("longitude_deg", sa.Float(), nullable=False),
        sa.Column("relative_altitude_m", sa.Float(), nullable=True),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column("ground_speed_m_s", sa.Float(), nullable=True),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        sa.Column("current_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mission_track_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mission_track_points_mission_id"), ["mission_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mission_track_points_time"), ["time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mission_track_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mission_track_points_time"))
        batch_op.drop_index(batch_op.f("ix_mission_track_points_mission_id"))
    op.drop_table("mission_track_points")
