"""cases and sorties: an incident is a case (open -> closed | cancelled, with an outcome) and
its drone work is sorties (one drone each); existing incidents are carried over

Revision ID: 0005_cases_and_sorties
Revises: 0004_audit_keyed
Create Date: 2026-12-01 21:50:00

Existing incidents become cases: those still under way stay ``open`` with a sortie in the state
their flight was in (``reported``/``queued`` become a ``planned`` sortie without a drone: the
case waits for one); ``closed`` ones are closed with the outcome ``flown`` and a ``landed``
sortie; ``failed`` ones are closed with the outcome ``not_flown`` (the old reason as the note)
and, when a drone had been sent, a ``failed`` sortie; ``cancelled`` stay cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_cases_and_sorties"
down_revision: str | None = "0004_audit_keyed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Old incident state -> (case state, outcome, sortie state or None for no sortie).
_CARRY = {
    "reported": ("open", "", "planned"),
    "queued": ("open", "", "planned"),
    "assigned": ("open", "", "planned"),
    "launching": ("open", "", "launching"),
    "en_route": ("open", "", "en_route"),
    "on_scene": ("open", "", "on_scene"),
    "returning": ("open", "", "returning"),
    "closed": ("closed", "flown", "landed"),
    "failed": ("closed", "not_flown", "failed"),
    "cancelled": ("cancelled", "", "aborted"),
}


def upgrade() -> None:
    op.create_table(
        "sorties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("vehicle_system_id", sa.Integer(), nullable=True),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("needs_confirmation", sa.Boolean(), nullable=False),
        sa.Column("dispatched_by", sa.String(length=64), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=1024), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_scene_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sorties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sorties_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sorties_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sorties_vehicle_system_id"), ["vehicle_system_id"], unique=False
        )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("outcome_note", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(
            sa.Column("closed_by", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("unassigned", sa.JSON(), nullable=True))
    _carry_incidents()


def _carry_incidents() -> None:
    bind = op.get_bind()
    incidents = bind.execute(sa.text(
        "SELECT id, playbook_id, state, reason, reported_by, vehicle_system_id, mission_id, "
        "needs_confirmation, confirmed_by, created_at, updated_at, closed_at FROM incidents"
    )).mappings().all()
    for row in incidents:
        case_state, outcome, carried = _CARRY.get(row["state"], ("open", "", "planned"))
        sortie_state: str | None = carried
        had_drone = row["mission_id"] is not None
        drone = row["vehicle_system_id"] if had_drone else None
        if sortie_state == "planned":
            drone = None  # waits for a drone again (choosing again after the upgrade)
        if sortie_state in ("failed", "aborted") and not had_drone:
            sortie_state = None  # no drone was ever sent
        note = row["reason"] if outcome == "not_flown" else ""
        bind.execute(
            sa.text("UPDATE incidents SET state = :state, outcome = :outcome, "
                    "outcome_note = :note WHERE id = :id"),
            {"state": case_state, "outcome": outcome, "note": note or "", "id": row["id"]},
        )
        if sortie_state is None:
            continue
        ended = row["closed_at"] if sortie_state in ("landed", "failed", "aborted") else None
        bind.execute(
            sa.text(
                "INSERT INTO sorties (incident_id, playbook_id, state, vehicle_system_id, "
                "mission_id, needs_confirmation, dispatched_by, confirmed_by, reason, code, "
                "created_at, updated_at, launched_at, on_scene_at, ended_at) VALUES (:incident, "
                ":playbook, :state, :drone, :mission, :confirm, :by, :confirmed, :reason, '', "
                ":created, :updated, :launched, NULL, :ended)"
            ),
            {
                "incident": row["id"], "playbook": row["playbook_id"], "state": sortie_state,
                "drone": drone, "mission": row["mission_id"] if drone is not None else None,
                "confirm": bool(row["needs_confirmation"]), "by": row["reported_by"] or "",
                "confirmed": row["confirmed_by"] or "", "reason": (row["reason"] or "")[:1024],
                "created": row["created_at"], "updated": row["updated_at"],
                "launched": row["created_at"] if had_drone else None, "ended": ended,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("unassigned")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("outcome_note")
        batch_op.drop_column("outcome")
    with op.batch_alter_table("sorties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sorties_vehicle_system_id"))
        batch_op.drop_index(batch_op.f("ix_sorties_state"))
        batch_op.drop_index(batch_op.f("ix_sorties_incident_id"))
    op.drop_table("sorties")
