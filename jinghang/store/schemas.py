"""What callers give the store (``...Create``/``...Update``) and what they get back
(``...Public``): pydantic models, validated, never the table rows themselves.

Bad input raises pydantic's ``ValidationError`` naming the field and the limit (latitude in
[-90, 90], priority 1..5, a role that exists, ...). Request models refuse non-finite numbers,
bound every string and list (the figures come from :mod:`jinghang.limits`), and check the
geometry they carry (an incident's area is a valid polygon of a bounded number of vertices).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator

from jinghang.limits import DEFAULT_LIMITS, MAVLINK_SYSTEM_IDS, MAX_DB_INT, MAX_DRONE_ID
from jinghang.store.models import Role, VehicleStatus

_LIMITS = DEFAULT_LIMITS

# strict: a number, never ``true`` or ``"37.5"`` read as one (``true`` would be latitude 1).
Latitude = Field(ge=-90.0, le=90.0, strict=True)
Longitude = Field(ge=-180.0, le=180.0, strict=True)
#: One coordinate of a position as sent: a JSON number (an integer or a float), not a bool.
Coordinate = Annotated[float, Strict()]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Request(BaseModel):
    """What a caller sends: finite numbers only."""

    model_config = ConfigDict(allow_inf_nan=False)


#: A position as sent: [lat_deg, lon_deg] (or [lat_deg, lon_deg, alt_m] for a home).
Position = Annotated[list[Coordinate], Field(min_length=2, max_length=3)]
#: A polygon or route as sent: at most ``Limits.vertices`` positions.
Positions = Annotated[list[Position], Field(max_length=_LIMITS.vertices)]
#: A stored row's id given in a body.
RowIdField = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
#: A drone (its id in the register) given in a body.
DroneIdField = Annotated[int, Field(ge=1, le=MAX_DRONE_ID)]
#: The MAVLink system id a drone speaks on its link (None: the same as its drone id).
MavlinkSystemIdField = Annotated[
    int | None, Field(ge=MAVLINK_SYSTEM_IDS[0], le=MAVLINK_SYSTEM_IDS[1])
]
#: The configured link (its connection string, as in ``links``) a drone is reached on.
LinkField = Annotated[str, Field(max_length=256)]


class PlanInputs(_Request):
    """A template's operator inputs: area / route / points as [[lat, lon], ...], point as
    [lat, lon], home as [lat, lon, alt_amsl_m]; each list at most ``Limits.vertices`` long."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    area: Positions | None = None
    route: Positions | None = None
    points: Positions | None = None
    point: Position | None = None
    home: Position | None = None

    def as_dict(self) -> dict[str, Any]:
        """The inputs given, as the plain dict the compiler takes."""
        return self.model_dump(exclude_none=True)


#: Template parameters by name (each checked by the compiler): at most 64 of them.
PlanParams = Annotated[
    dict[Annotated[str, Field(max_length=64)], Any], Field(max_length=64)
]


# ---------------------------------------------------------------- users
class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    full_name: str = Field(default="", max_length=128)
    role: Role


class UserUpdate(BaseModel):
    full_name: str | None = Field(default=None, max_length=128)
    role: Role | None = None
    disabled: bool | None = None


class UserPublic(_Public):
    id: int
    username: str
    full_name: str
    role: Role
    disabled: bool
    created_at: dt.datetime


class UserCredentials(_Public):
    """A user with the password hash: for the sign-in code only, never sent out."""

    id: int
    username: str
    role: Role
    disabled: bool
    password_hash: str


# ---------------------------------------------------------------- vehicles
class VehicleCreate(BaseModel):
    drone_id: DroneIdField
    name: str = Field(min_length=1, max_length=64)
    connection: str = Field(default="", max_length=256)
    #: the link it is reached on ("" = any link) and the system id it speaks there
    link: LinkField = ""
    mavlink_system_id: MavlinkSystemIdField = None
    base_latitude_deg: float = Latitude
    base_longitude_deg: float = Longitude
    base_altitude_m: float = 0.0
    payloads: list[str] = Field(default_factory=list)
    video_source_url: str = Field(default="", max_length=512)
    cruise_speed_m_s: float = Field(default=10.0, gt=0.0, le=40.0)
    endurance_s: float = Field(default=1800.0, gt=0.0, le=24 * 3600.0)
    status: VehicleStatus = VehicleStatus.AVAILABLE


class VehicleUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    connection: str | None = Field(default=None, max_length=256)
    link: str | None = Field(default=None, max_length=256)
    mavlink_system_id: MavlinkSystemIdField = None
    base_latitude_deg: float | None = Field(default=None, ge=-90.0, le=90.0)
    base_longitude_deg: float | None = Field(default=None, ge=-180.0, le=180.0)
    base_altitude_m: float | None = None
    payloads: list[str] | None = None
    video_source_url: str | None = Field(default=None, max_length=512)
    cruise_speed_m_s: float | None = Field(default=None, gt=0.0, le=40.0)
    endurance_s: float | None = Field(default=None, gt=0.0, le=24 * 3600.0)
    status: VehicleStatus | None = None


class VehiclePublic(_Public):
    id: int
    drone_id: int
    name: str
    connection: str
    link: str
    mavlink_system_id: int | None
    base_latitude_deg: float
    base_longitude_deg: float
    base_altitude_m: float
    payloads: list[str]
    video_source_url: str
    cruise_speed_m_s: float
    endurance_s: float
    status: VehicleStatus
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("payloads", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


# ---------------------------------------------------------------- incidents
class IncidentCreate(_Request):
    playbook_id: str = Field(pattern=r"^P(0[1-9]|1[0-9])$", description="P01..P19")
    latitude_deg: float = Latitude
    longitude_deg: float = Longitude
    priority: int | None = Field(
        default=None, ge=1, le=5, description="1 most urgent; default from the playbook"
    )
    title: str = Field(default="", max_length=256)
    description: str = Field(default="", max_length=_LIMITS.text_chars)
    area: (
        Annotated[
            list[Annotated[list[Coordinate], Field(min_length=2, max_length=2)]],
            Field(min_length=3, max_length=_LIMITS.vertices),
        ]
        | None
    ) = Field(
        default=None,
        description="optional polygon [[lat_deg, lon_deg], ...] for searches: a simple "
        f"polygon (edges do not cross, not a sliver) of at most {_LIMITS.vertices} vertices",
    )
    source: str = Field(default="operator", max_length=32)

    @field_validator("area")
    @classmethod
    def _area_polygon(cls, value: list[list[float]] | None) -> list[list[float]] | None:
        if value is None:
            return None
        from jinghang.missions.geometry import validate_polygon

        # A GeometryError / InputError (422) names the vertex or the crossing at fault.
        validate_polygon(value, "area")
        return value


class SortiePublic(_Public):
    """One drone's work for a case (see :class:`jinghang.store.models.Sortie`)."""

    id: int
    incident_id: int
    playbook_id: str
    state: str
    drone_id: int | None
    mission_id: int | None
    needs_confirmation: bool
    dispatched_by: str
    confirmed_by: str
    reason: str
    code: str
    created_at: dt.datetime
    updated_at: dt.datetime
    launched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    ended_at: dt.datetime | None


class IncidentPublic(_Public):
    """A case: ``state`` is ``open``, ``closed`` or ``cancelled``; ``sorties`` its drone
    work (oldest first); ``unassigned`` every drone's reason while no drone can take it."""

    id: int
    playbook_id: str
    title: str
    description: str
    latitude_deg: float
    longitude_deg: float
    area: list[list[float]] | None
    priority: int
    state: str
    reason: str
    source: str
    reported_by: str
    drone_id: int | None
    mission_id: int | None
    needs_confirmation: bool
    confirmed_by: str
    outcome: str = ""
    outcome_note: str = ""
    closed_by: str = ""
    unassigned: list[dict[str, Any]] | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    sorties: list[SortiePublic] = Field(default_factory=list)


# ---------------------------------------------------------------- missions
class MissionCreate(BaseModel):
    incident_id: int | None = None
    patrol_run_id: int | None = None
    drone_id: int | None = None
    template_id: str = ""
    pattern: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    items: list[dict[str, Any]] = Field(default_factory=list)
    flight_time_s: float = 0.0
    distance_m: float = 0.0


class MissionPublic(_Public):
    id: int
    incident_id: int | None
    patrol_run_id: int | None
    drone_id: int | None
    template_id: str
    pattern: str
    params: dict[str, Any] | None
    items: list[dict[str, Any]] | None
    item_count: int
    state: str
    current_seq: int
    flight_time_s: float
    distance_m: float
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


class MissionEventPublic(_Public):
    id: int
    mission_id: int | None
    incident_id: int | None
    kind: str
    from_state: str
    to_state: str
    actor: str
    message: str
    data: dict[str, Any] | None
    created_at: dt.datetime


class TrackPointCreate(BaseModel):
    """One sampled position of a flying mission's drone."""

    time: dt.datetime
    latitude_deg: float = Latitude
    longitude_deg: float = Longitude
    relative_altitude_m: float | None = None
    heading_deg: float | None = None
    ground_speed_m_s: float | None = None
    battery_pct: float | None = None
    current_seq: int | None = None


class TrackPointPublic(_Public):
    mission_id: int
    time: dt.datetime
    latitude_deg: float
    longitude_deg: float
    relative_altitude_m: float | None
    heading_deg: float | None
    ground_speed_m_s: float | None
    battery_pct: float | None
    current_seq: int | None


class VehicleCommandPublic(_Public):
    id: int
    drone_id: int
    command: str
    params: dict[str, Any] | None
    result: str
    actor: str
    incident_id: int | None
    mission_id: int | None
    created_at: dt.datetime
    completed_at: dt.datetime | None


# ---------------------------------------------------------------- patrols
class PatrolScheduleCreate(_Request):
    name: str = Field(min_length=1, max_length=128)
    template_id: str = Field(min_length=1, max_length=16)
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="as PlanInputs: area, route, points, point, home"
    )
    params: PlanParams = Field(default_factory=dict)
    cron: str = Field(min_length=1, max_length=128, description="cron expression, 5 fields")
    time_zone: str = Field(default="Asia/Shanghai", max_length=64)
    drone_id: DroneIdField | None = Field(
        default=None, description="None: any suitable"
    )
    enabled: bool = True

    @field_validator("inputs")
    @classmethod
    def _inputs_bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return PlanInputs.model_validate(value).as_dict()

    @field_validator("cron")
    @classmethod
    def _cron_valid(cls, value: str) -> str:
        from croniter import CroniterBadDateError, croniter

        # croniter also reads 6 fields (seconds first: a patrol every second) and 7 (years)
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r} "
                             "(five fields: minute hour day month weekday)")
        try:
            croniter(value).get_next()
        except (CroniterBadDateError, ValueError, OverflowError):
            raise ValueError(f"the timetable {value!r} names no date that exists "
                             "(such as 31 February)") from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone_valid(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {value!r}") from exc
        return value


class PatrolSchedulePublic(_Public):
    id: int
    name: str
    template_id: str
    inputs: dict[str, Any] | None
    params: dict[str, Any] | None
    cron: str
    time_zone: str
    drone_id: int | None
    enabled: bool
    created_by: str
    created_at: dt.datetime


class PatrolRunPublic(_Public):
    id: int
    schedule_id: int
    scheduled_for: dt.datetime
    status: str
    reason: str
    drone_id: int | None
    mission_id: int | None
    created_at: dt.datetime
    ended_at: dt.datetime | None


# ---------------------------------------------------------------- recordings
class RecordingCreate(BaseModel):
    drone_id: DroneIdField
    incident_id: int | None = None
    segment_path: str = Field(min_length=1, max_length=1024)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    prev_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    size_bytes: int = Field(default=0, ge=0)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class RecordingPublic(_Public):
    id: int
    drone_id: int
    incident_id: int | None
    segment_path: str
    sha256: str
    prev_sha256: str
    size_bytes: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
