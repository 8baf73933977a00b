"""drone identity: every table names a drone by the register's drone_id; the register says
the link a drone is reached on and the MAVLink system id it speaks there

``vehicles.system_id`` becomes ``vehicles.drone_id`` (still unique; every existing value is
kept, so every reference stays valid) and gains ``link`` ("" = any link) and
``mavlink_system_id`` (null = the same as ``drone_id``, which is what every existing drone
speaks). ``vehicle_system_id`` becomes ``drone_id`` in every table that names a drone, with
its index renamed to match.

Columns are renamed in place (``ALTER TABLE ... RENAME COLUMN``, native on PostgreSQL and on
SQLite since 3.25), not by copying tables: a copy of ``incidents`` or ``missions`` would have
to drop a table other rows point at. New columns are added in batch mode.

Revision ID: 0009_drone_identity
Revises: 0008_case_shares
Create Date: 2026-12-02 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_drone_identity"
down_revision: str | None = "0008_case_shares"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, old column, nullable, indexed, unique index) for every column naming a drone
RENAMED = (
    ("vehicles", "system_id", False, True, True),
    ("incidents", "vehicle_system_id", True, True, False),
    ("sorties", "vehicle_system_id", True, True, False),
    ("missions", "vehicle_system_id", True, True, False),
    ("vehicle_commands", "vehicle_system_id", False, True, False),
    ("recordings", "vehicle_system_id", False, True, False),
    ("alerts", "vehicle_system_id", True, True, False),
    ("flight_energy", "vehicle_system_id", False, True, False),
    ("patrol_schedules", "vehicle_system_id", True, False, False),
    ("patrol_runs", "vehicle_system_id", True, False, False),
)


def _rename(table: str, old: str, new: str, nullable: bool, indexed: bool, unique: bool) -> None:
    if indexed:
        op.drop_index(f"ix_{table}_{old}", table_name=table)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text(f'ALTER TABLE "{table}" RENAME COLUMN "{old}" TO "{new}"'))
    else:
        op.alter_column(table, old, new_column_name=new, existing_type=sa.Integer(),
                        existing_nullable=nullable)
    if indexed:
        op.create_index(f"ix_{table}_{new}", table, [new], unique=unique)


def upgrade() -> None:
    for table, old, nullable, indexed, unique in RENAMED:
        _rename(table, old, "drone_id", nullable, indexed, unique)
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("mavlink_system_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_column("mavlink_system_id")
        batch_op.drop_column("link")
    for table, old, nullable, indexed, unique in reversed(RENAMED):
        _rename(table, "drone_id", old, nullable, indexed, unique)
