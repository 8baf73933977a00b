"""Flight energy in the store: after each flight, what its plan said against what the vehicle
used (table ``flight_energy``, one row per landed flight), the history the drone's endurance is
corrected from (``jinghang.missions.endurance``).

Unknown figures are NULL, never a made-up number: a vehicle that reports no consumption has no
``consumed_mah``, one that reports no remaining percentage no ``remaining_*_pct``; ``used_pct``
is NULL when neither is known, and ``skip_code`` says why a row does not count.
"""

from __future__ import annotations

import datetime as dt
import math

from pydantic import BaseModel, ConfigDict, field_validator
from sqlmodel import Field, Session, SQLModel, col, select

from jinghang.store.models import utc_now


class FlightEnergyRecord(SQLModel, table=True):
    """One landed flight's planned and used time and energy."""

    __tablename__ = "flight_energy"

    id: int | None = Field(default=None, primary_key=True)
    drone_id: int = Field(index=True)
    mission_id: int | None = Field(default=None, index=True)
    incident_id: int | None = None
    patrol_run_id: int | None = None
    landed_at: dt.datetime = Field(default_factory=utc_now, index=True)
    #: How the mission ended ("completed", "aborted", ...) and whether it flew its plan.
    outcome: str = Field(default="", max_length=16)
    completed: bool = False
    #: The plan's estimate and the endurance it was planned with (nominal, as registered).
    planned_time_s: float = 0.0
    planned_pct: float = 0.0
    nominal_endurance_s: float = 0.0
    #: Armed to disarmed on the vehicle's clock (seconds); NULL when not seen.
    flown_time_s: float | None = None
    #: BATTERY_STATUS current_consumed over the flight (mAh) and energy_consumed (Wh).
    consumed_mah: float | None = None
    energy_wh: float | None = None
    capacity_mah: float | None = None
    remaining_before_pct: float | None = None
    remaining_after_pct: float | None = None
    used_pct: float | None = None
    #: "consumed_mah", "remaining_pct" or "none": where ``used_pct`` comes from.
    source: str = Field(default="none", max_length=16)
    #: Why the flight does not count for the endurance (None: it counts).
    skip_code: str | None = Field(default=None, max_length=32)


def _clean(value: float | None) -> float | None:
    """NaN and infinities are stored as unknown (NULL)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


class FlightEnergyCreate(BaseModel):
    """What the energy history records after a landing (non-finite figures become NULL)."""

    drone_id: int
    mission_id: int | None = None
    incident_id: int | None = None
    patrol_run_id: int | None = None
    outcome: str = ""
    completed: bool = False
    planned_time_s: float = 0.0
    planned_pct: float = 0.0
    nominal_endurance_s: float = 0.0
    flown_time_s: float | None = None
    consumed_mah: float | None = None
    energy_wh: float | None = None
    capacity_mah: float | None = None
    remaining_before_pct: float | None = None
    remaining_after_pct: float | None = None
    used_pct: float | None = None
    source: str = "none"
    skip_code: str | None = None

    @field_validator("flown_time_s", "consumed_mah", "energy_wh", "capacity_mah",
                     "remaining_before_pct", "remaining_after_pct", "used_pct", mode="after")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        return _clean(value)

    @field_validator("planned_time_s", "planned_pct", "nominal_endurance_s", mode="after")
    @classmethod
    def _finite_or_zero(cls, value: float) -> float:
        return value if math.isfinite(value) else 0.0


class FlightEnergyPublic(FlightEnergyCreate):
    """A recorded flight as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    landed_at: dt.datetime

    @field_validator("landed_at", mode="after")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:  # SQLite keeps no zone: it was UTC
            return value.replace(tzinfo=dt.UTC)
        return value


def record_flight_energy(session: Session, data: FlightEnergyCreate) -> FlightEnergyPublic:
    """Store one landed flight's figures."""
    row = FlightEnergyRecord(**data.model_dump(), landed_at=utc_now())
    session.add(row)
    session.flush()
    return FlightEnergyPublic.model_validate(row)


def list_flight_energy(session: Session, drone_id: int | None = None, *,
                       limit: int = 50) -> list[FlightEnergyPublic]:
    """The newest ``limit`` flights (of one drone when given), oldest first."""
    query = select(FlightEnergyRecord).order_by(col(FlightEnergyRecord.id).desc()).limit(limit)
    if drone_id is not None:
        query = query.where(FlightEnergyRecord.drone_id == drone_id)
    rows = list(session.exec(query).all())
    rows.reverse()
    return [FlightEnergyPublic.model_validate(r) for r in rows]
