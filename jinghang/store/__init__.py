"""jinghang.store: the database of the platform (SQLModel tables, Alembic migrations).

Open it once at start-up and pass it in::

    store = open_store(settings.database_url)     # upgrades the schema to head
    with store.transaction() as session:           # commits at the end of the block
        incident = create_incident(session, IncidentCreate(...), reported_by="li", priority=1)
        append_audit(session, actor="li", action="incident.report",
                     target_type="incident", target_id=incident.id, details={...})
    with store.read_session() as session:
        open_now = list_open_incidents(session)

Repository functions take a ``Session`` first, flush but never commit, and return pydantic
``...Public`` models (never table rows). SQLite (a file, WAL) by default; PostgreSQL when
``JINGHANG_DATABASE_URL`` is ``postgresql://...``.

Code on the event loop that carries the vehicles writes through a :class:`StoreWriter` (one
thread, ordered jobs: ``writer.post(job, what=...)``, ``await writer.submit(job, what=...)``),
so that it never waits on the database.
"""

from jinghang.store.audit import (
    AuditPublic,
    ChainReport,
    append_audit,
    list_audit,
    verify_chain,
)
from jinghang.store.commands import complete_command, list_commands, record_command
from jinghang.store.energy import (
    FlightEnergyCreate,
    FlightEnergyPublic,
    list_flight_energy,
    record_flight_energy,
)
from jinghang.store.engine import Store, make_engine, open_store
from jinghang.store.errors import AlreadyExists, NotFound, StoreUnavailable
from jinghang.store.incidents import (
    FINAL_STATES,
    create_incident,
    create_sortie,
    get_incident,
    get_sortie,
    list_incidents,
    list_open_incidents,
    list_sorties,
    set_incident_state,
    set_sortie_state,
    update_incident_fields,
)
from jinghang.store.missions import (
    add_mission_event,
    create_mission,
    get_mission,
    list_events,
    list_missions,
    set_mission_progress,
    set_mission_state,
)
from jinghang.store.models import (
    DISPATCHER_STATUSES,
    MissionState,
    PatrolRunStatus,
    Role,
    VehicleStatus,
)
from jinghang.store.patrols import (
    create_patrol,
    delete_patrol,
    finish_patrol_run,
    get_patrol,
    last_run_time,
    list_patrol_runs,
    list_patrols,
    record_patrol_run,
    set_patrol_enabled,
)
from jinghang.store.recordings import add_recording, get_recording, list_recordings
from jinghang.store.schemas import (
    IncidentCreate,
    IncidentPublic,
    MissionCreate,
    MissionEventPublic,
    MissionPublic,
    PatrolRunPublic,
    PatrolScheduleCreate,
    PatrolSchedulePublic,
    RecordingCreate,
    RecordingPublic,
    SortiePublic,
    TrackPointCreate,
    TrackPointPublic,
    UserCreate,
    UserCredentials,
    UserPublic,
    UserUpdate,
    VehicleCommandPublic,
    VehicleCreate,
    VehiclePublic,
    VehicleUpdate,
)
from jinghang.store.tracks import add_track_points, list_track_points
from jinghang.store.users import (
    count_users,
    create_user,
    get_credentials,
    get_user,
    list_users,
    set_password_hash,
    update_user,
)
from jinghang.store.vehicles import (
    get_vehicle,
    list_vehicles,
    register_vehicle,
    set_vehicle_status,
    update_vehicle,
)
from jinghang.store.writer import StoreWriter

__all__ = [
    "DISPATCHER_STATUSES",
    "FINAL_STATES",
    "AlreadyExists",
    "AuditPublic",
    "ChainReport",
    "FlightEnergyCreate",
    "FlightEnergyPublic",
    "IncidentCreate",
    "IncidentPublic",
    "MissionCreate",
    "MissionEventPublic",
    "MissionPublic",
    "MissionState",
    "NotFound",
    "PatrolRunPublic",
    "PatrolRunStatus",
    "PatrolScheduleCreate",
    "PatrolSchedulePublic",
    "RecordingCreate",
    "RecordingPublic",
    "Role",
    "SortiePublic",
    "Store",
    "StoreUnavailable",
    "StoreWriter",
    "TrackPointCreate",
    "TrackPointPublic",
    "UserCreate",
    "UserCredentials",
    "UserPublic",
    "UserUpdate",
    "VehicleCommandPublic",
    "VehicleCreate",
    "VehiclePublic",
    "VehicleStatus",
    "VehicleUpdate",
    "add_mission_event",
    "add_recording",
    "add_track_points",
    "append_audit",
    "complete_command",
    "count_users",
    "create_incident",
    "create_mission",
    "create_patrol",
    "create_sortie",
    "create_user",
    "delete_patrol",
    "finish_patrol_run",
    "get_credentials",
    "get_incident",
    "get_mission",
    "get_patrol",
    "get_recording",
    "get_sortie",
    "get_user",
    "get_vehicle",
    "last_run_time",
    "list_audit",
    "list_commands",
    "list_events",
    "list_flight_energy",
    "list_incidents",
    "list_missions",
    "list_open_incidents",
    "list_patrol_runs",
    "list_patrols",
    "list_recordings",
    "list_sorties",
    "list_track_points",
    "list_users",
    "list_vehicles",
    "make_engine",
    "open_store",
    "record_command",
    "record_flight_energy",
    "record_patrol_run",
    "register_vehicle",
    "set_incident_state",
    "set_mission_progress",
    "set_mission_state",
    "set_password_hash",
    "set_patrol_enabled",
    "set_sortie_state",
    "set_vehicle_status",
    "update_incident_fields",
    "update_user",
    "update_vehicle",
    "verify_chain",
]
