"""The tables of the Jinghang store (SQLModel), one class per table.

These classes are the database rows; they are never handed to the API directly. Each resource
has its pydantic ``...Create`` (what a caller gives) and ``...Public`` (what a caller gets)
models in :mod:`jinghang.store.schemas`. Times are aware UTC datetimes; JSON columns hold plain
JSON values (lists, dicts, numbers, strings). Enumerated values (roles, states) are stored as
their string value so that the schema stays the same when an enum grows.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel


def utc_now() -> dt.datetime:
    """The current time as an aware UTC datetime (what every time column holds)."""
    return dt.datetime.now(dt.UTC)


class Role(enum.StrEnum):
    """What a user may do: an admin manages users, a commander dispatches, a pilot flies by
    hand, an observer only reads."""

    ADMIN = "admin"
    COMMANDER = "commander"
    PILOT = "pilot"
    OBSERVER = "observer"


class VehicleStatus(enum.StrEnum):
    """The fleet register's status of a drone (its live flight state is in jinghang.flight).

    The dispatcher writes ``available``, ``assigned``, ``flying``, ``returning`` and ``lost``
    from its own lifecycle (see :data:`DISPATCHER_STATUSES`); ``maintenance``, ``offline``
    and ``retired`` are an admin's and the dispatcher never overwrites them. ``busy`` is
    the older catch-all, still read as "in use".
    """

    AVAILABLE = "available"
    ASSIGNED = "assigned"
    FLYING = "flying"
    RETURNING = "returning"
    LOST = "lost"
    BUSY = "busy"
    MAINTENANCE = "maintenance"
    OFFLINE = "offline"
    RETIRED = "retired"
    #: Landed away from its base (in the street): not available until flown home or marked
    #: recovered by a user. Written by the dispatcher, cleared only by those two.
    LANDED_AWAY = "landed_away"


#: The register statuses the dispatcher owns: it writes them and may replace them.
DISPATCHER_STATUSES = frozenset({
    VehicleStatus.AVAILABLE.value, VehicleStatus.ASSIGNED.value, VehicleStatus.FLYING.value,
    VehicleStatus.RETURNING.value, VehicleStatus.LOST.value, VehicleStatus.BUSY.value,
})


class MissionState(enum.StrEnum):
    """Where a flown mission is: planned, uploading, flying, paused (pilot handover),
    returning, completed, aborted (recalled or cancelled) or failed."""

    PLANNED = "planned"
    UPLOADING = "uploading"
    FLYING = "flying"
    PAUSED = "paused"
    RETURNING = "returning"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILED = "failed"


class PatrolRunStatus(enum.StrEnum):
    """What became of one scheduled patrol firing."""

    LAUNCHED = "launched"
    SKIPPED = "skipped"
    COMPLETED = "completed"
    FAILED = "failed"


class User(SQLModel, table=True):
    """A person (or a CAD system) that signs in."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(default="", max_length=128)
    password_hash: str = Field(max_length=256)
    role: str = Field(max_length=16)
    disabled: bool = False
    created_at: dt.datetime = Field(default_factory=utc_now)
    #: Raised whenever the password, role or state changes; a token names the version it was
    #: issued for and stops working when they differ.
    token_version: int = 0


class Vehicle(SQLModel, table=True):
    """One drone of the fleet register: how to reach it, where it lives, what it carries.

    ``drone_id`` is the key every other table, the API and the console use (chosen by the
    user); on the wire the drone is the MAVLink system id it speaks (``mavlink_system_id``,
    None: the same as ``drone_id``) on its ``link`` (a configured link's connection string,
    "": any link)."""

    __tablename__ = "vehicles"

    id: int | None = Field(default=None, primary_key=True)
    drone_id: int = Field(unique=True, index=True)
    name: str = Field(max_length=64)
    connection: str = Field(default="", max_length=256)
    link: str = Field(default="", max_length=256)
    mavlink_system_id: int | None = None
    base_latitude_deg: float
    base_longitude_deg: float
    base_altitude_m: float = 0.0
    payloads: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    video_source_url: str = Field(default="", max_length=512)
    cruise_speed_m_s: float = 10.0
    endurance_s: float = 1800.0
    status: str = Field(default=VehicleStatus.AVAILABLE.value, max_length=16)
    created_at: dt.datetime = Field(default_factory=utc_now)
    updated_at: dt.datetime = Field(default_factory=utc_now)


class Incident(SQLModel, table=True):
    """A reported incident: a case (``open`` -> ``closed`` | ``cancelled``, with an outcome)
    whose drone work is its sorties (:class:`Sortie`); see jinghang.dispatch.lifecycle.
    ``drone_id``, ``mission_id`` and ``confirmed_by`` mirror the latest sortie."""

    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    playbook_id: str = Field(max_length=8, index=True)
    title: str = Field(default="", max_length=256)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    latitude_deg: float
    longitude_deg: float
    area: list[list[float]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    priority: int = Field(default=3, index=True)
    state: str = Field(default="open", max_length=16, index=True)
    reason: str = Field(default="", max_length=1024)
    source: str = Field(default="operator", max_length=32)
    reported_by: str = Field(default="", max_length=64)
    drone_id: int | None = Field(default=None, index=True)
    mission_id: int | None = Field(default=None)
    needs_confirmation: bool = False
    confirmed_by: str = Field(default="", max_length=64)
    #: How the case ended (a code of jinghang.dispatch.lifecycle.OUTCOMES) and a note.
    outcome: str = Field(default="", max_length=32)
    outcome_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    closed_by: str = Field(default="", max_length=64)
    #: While no drone can take the case: every drone with why ({drone_id, drone, code,
    #: params, reason}); empty when it is served or not waiting.
    unassigned: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    created_at: dt.datetime = Field(default_factory=utc_now)
    updated_at: dt.datetime = Field(default_factory=utc_now)
    closed_at: dt.datetime | None = None


class Sortie(SQLModel, table=True):
    """One drone's work for a case: ``planned`` (without a drone while the case waits for
    one) -> ``waiting_pilot`` -> ``launching`` -> ``en_route`` -> ``on_scene`` ->
    ``returning`` -> ``landed`` | ``aborted`` | ``failed``."""

    __tablename__ = "sorties"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    playbook_id: str = Field(max_length=8)
    state: str = Field(default="planned", max_length=16, index=True)
    drone_id: int | None = Field(default=None, index=True)
    mission_id: int | None = Field(default=None)
    needs_confirmation: bool = False
    dispatched_by: str = Field(default="", max_length=64)
    confirmed_by: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=1024)
    #: A stable code for why it ended (``sortie.launch_refused``, ``sortie.link_lost``, ...).
    code: str = Field(default="", max_length=48)
    created_at: dt.datetime = Field(default_factory=utc_now)
    updated_at: dt.datetime = Field(default_factory=utc_now)
    launched_at: dt.datetime | None = None
    on_scene_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class Mission(SQLModel, table=True):
    """A plan sent to (or meant for) one vehicle, for an incident or a patrol run."""

    __tablename__ = "missions"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    patrol_run_id: int | None = Field(default=None, index=True)
    drone_id: int | None = Field(default=None, index=True)
    template_id: str = Field(default="", max_length=16)
    pattern: str = Field(default="", max_length=32)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    items: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    item_count: int = 0
    state: str = Field(default=MissionState.PLANNED.value, max_length=16, index=True)
    current_seq: int = 0
    flight_time_s: float = 0.0
    distance_m: float = 0.0
    created_by: str = Field(default="", max_length=64)
    created_at: dt.datetime = Field(default_factory=utc_now)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class MissionEvent(SQLModel, table=True):
    """One thing that happened to a mission or an incident: a state change, a reached item,
    a refusal, a handover. Incident state changes are events with ``incident_id`` set."""

    __tablename__ = "mission_events"

    id: int | None = Field(default=None, primary_key=True)
    mission_id: int | None = Field(default=None, index=True)
    incident_id: int | None = Field(default=None, index=True)
    kind: str = Field(max_length=32)
    from_state: str = Field(default="", max_length=16)
    to_state: str = Field(default="", max_length=16)
    actor: str = Field(default="", max_length=64)
    message: str = Field(default="", max_length=1024)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: dt.datetime = Field(default_factory=utc_now, index=True)


class MissionTrackPoint(SQLModel, table=True):
    """One sampled position of a mission's drone while it flew (the flown track, evidence of
    where the drone was and when)."""

    __tablename__ = "mission_track_points"

    id: int | None = Field(default=None, primary_key=True)
    mission_id: int = Field(index=True)
    time: dt.datetime = Field(index=True)
    latitude_deg: float
    longitude_deg: float
    relative_altitude_m: float | None = None
    heading_deg: float | None = None
    ground_speed_m_s: float | None = None
    battery_pct: float | None = None
    #: The mission item the drone was flying to (None when not reported).
    current_seq: int | None = None


class VehicleCommand(SQLModel, table=True):
    """A command sent to a vehicle, who asked, and what the vehicle answered."""

    __tablename__ = "vehicle_commands"

    id: int | None = Field(default=None, primary_key=True)
    drone_id: int = Field(index=True)
    command: str = Field(max_length=64)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    result: str = Field(default="pending", max_length=64)
    actor: str = Field(default="", max_length=64)
    incident_id: int | None = Field(default=None, index=True)
    mission_id: int | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utc_now, index=True)
    completed_at: dt.datetime | None = None


class PatrolSchedule(SQLModel, table=True):
    """A template flown on a cron timetable in a time zone, by one vehicle or any suitable."""

    __tablename__ = "patrol_schedules"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    template_id: str = Field(max_length=16)
    inputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    cron: str = Field(max_length=128)
    time_zone: str = Field(default="Asia/Shanghai", max_length=64)
    drone_id: int | None = None
    enabled: bool = True
    created_by: str = Field(default="", max_length=64)
    created_at: dt.datetime = Field(default_factory=utc_now)


class PatrolRun(SQLModel, table=True):
    """One firing of a patrol schedule: launched (with its mission) or skipped with why."""

    __tablename__ = "patrol_runs"

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="patrol_schedules.id", index=True)
    scheduled_for: dt.datetime = Field(index=True)
    status: str = Field(max_length=16)
    reason: str = Field(default="", max_length=1024)
    drone_id: int | None = None
    mission_id: int | None = None
    created_at: dt.datetime = Field(default_factory=utc_now)
    ended_at: dt.datetime | None = None


class Recording(SQLModel, table=True):
    """One recorded video segment and its SHA-256 (chain of custody)."""

    __tablename__ = "recordings"

    id: int | None = Field(default=None, primary_key=True)
    drone_id: int = Field(index=True)
    incident_id: int | None = Field(default=None, index=True)
    segment_path: str = Field(max_length=1024)
    sha256: str = Field(max_length=64)
    prev_sha256: str = Field(default="", max_length=64)
    size_bytes: int = 0
    started_at: dt.datetime = Field(default_factory=utc_now)
    ended_at: dt.datetime | None = None


class AuditEntry(SQLModel, table=True):
    """One row of the append-only audit trail, hash-chained to the row before it.

    ``hash`` is the HMAC-SHA256, with the audit key (never stored in the database), of the
    canonical JSON of every other column plus ``prev_hash`` (a plain SHA-256 for legacy rows);
    ``seq`` runs 1, 2, 3 ... and both ``seq`` and ``prev_hash`` are unique, so the chain
    cannot fork even when two writers race.
    """

    __tablename__ = "audit_entries"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=utc_now)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(default="", max_length=32)
    target_id: str = Field(default="", max_length=64)
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64)
    #: Which audit key MACs this row (:mod:`jinghang.store.audit`); empty for a row written
    #: before the chain was keyed (an unkeyed SHA-256, sealed by the first keyed row).
    key_id: str = Field(default="", max_length=16)


class AuditHead(SQLModel, table=True):
    """The last sequence number and hash of the audit trail (detects a deleted tail)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="", max_length=64)
    #: The key id of the last row (empty while the newest row is an unkeyed legacy row).
    key_id: str = Field(default="", max_length=16)
    #: When the last checkpoint of the head was signed (None: never).
    checkpointed_at: dt.datetime | None = None


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the audit trail's head: entry ``seq`` had ``hash`` at
    ``created_at``, signed (Ed25519) with the key derived from the audit key. Exported and
    kept elsewhere, checkpoints show a later truncation or rewrite of the trail."""

    __tablename__ = "audit_checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(index=True)
    hash: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utc_now, index=True)
    key_id: str = Field(max_length=16)
    public_key_hex: str = Field(max_length=64)
    signature_hex: str = Field(max_length=128)


class Alert(SQLModel, table=True):
    """One alert an operator must see: a cause (``key``) raised once and counted while open,
    with its severity, the drone and case it concerns, a message ``code`` and its
    ``params`` (the console translates them), and who acknowledged it for everyone."""

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    #: What caused it (code plus the drone, case or component): one open alert per key.
    key: str = Field(max_length=255, index=True)
    code: str = Field(max_length=64, index=True)
    severity: str = Field(max_length=16)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: The English text, for logs and clients that do not translate codes.
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    drone_id: int | None = Field(default=None, index=True)
    case_id: int | None = Field(default=None, index=True)
    count: int = 1
    first_seen_at: dt.datetime = Field(default_factory=utc_now, index=True)
    last_seen_at: dt.datetime = Field(default_factory=utc_now)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    acknowledged_at: dt.datetime | None = None


class CaseShare(SQLModel, table=True):
    """A read-only link to one case that a commander sent to officers in the field: valid
    until ``expires_at`` unless revoked earlier (see :mod:`jinghang.api.shares`)."""

    __tablename__ = "case_shares"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utc_now)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_by: str = Field(default="", max_length=64)


class SigningStream(SQLModel, table=True):
    """The last MAVLink signing timestamp accepted on one stream (link id, source system,
    source component, as MAVLink's signing spec defines a stream), and the platform's own
    outgoing one, kept so that a frame captured before a restart is refused after it (see
    :mod:`jinghang.store.signing_streams`)."""

    __tablename__ = "signing_streams"

    link_id: int = Field(primary_key=True)
    #: the sender's MAVLink system id; on a link whose keys are per drone (drones named by
    #: the register per link), the drone id, since two drones there may both be system 1
    source_system: int = Field(primary_key=True)
    source_component: int = Field(primary_key=True)
    #: 10 µs units since 2015-01-01 (48 bits on the wire)
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utc_now)
