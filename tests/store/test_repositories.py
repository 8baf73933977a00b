"""The repository functions as the API and the dispatcher use them."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from jinghang.store import (
    AlreadyExists,
    IncidentCreate,
    MissionCreate,
    MissionState,
    NotFound,
    PatrolRunStatus,
    PatrolScheduleCreate,
    RecordingCreate,
    Role,
    Store,
    UserCreate,
    UserUpdate,
    VehicleCreate,
    VehicleStatus,
    VehicleUpdate,
    add_recording,
    complete_command,
    create_incident,
    create_mission,
    create_patrol,
    create_user,
    get_credentials,
    get_incident,
    get_vehicle,
    last_run_time,
    list_commands,
    list_events,
    list_incidents,
    list_open_incidents,
    list_patrol_runs,
    list_patrols,
    list_recordings,
    list_users,
    list_vehicles,
    record_command,
    record_patrol_run,
    register_vehicle,
    set_incident_state,
    set_mission_state,
    update_user,
    update_vehicle,
)

WEIHAI = (37.5131, 122.1204)


def _vehicle(drone_id: int, **kw: object) -> VehicleCreate:
    return VehicleCreate(
        drone_id=drone_id, name=f"JH-{drone_id}", base_latitude_deg=WEIHAI[0],
        base_longitude_deg=WEIHAI[1], payloads=["camera"], **kw,  # type: ignore[arg-type]
    )


def test_users_are_kept_with_their_hash_and_shown_without_it(store: Store) -> None:
    with store.transaction() as s:
        user = create_user(s, UserCreate(username="wang.li", role=Role.COMMANDER),
                           password_hash="$argon2id$x")
        assert "password_hash" not in user.model_dump()
    with store.transaction() as s:
        with pytest.raises(AlreadyExists) as err:
            create_user(s, UserCreate(username="wang.li", role=Role.PILOT), password_hash="h")
        assert err.value.field == "username"
    with store.transaction() as s:
        update_user(s, user.id, UserUpdate(role=Role.OBSERVER, disabled=True))
    with store.read_session() as s:
        creds = get_credentials(s, "wang.li")
        assert creds is not None and creds.password_hash == "$argon2id$x"
        assert creds.role is Role.OBSERVER and creds.disabled
        assert get_credentials(s, "nobody") is None
        assert [u.username for u in list_users(s)] == ["wang.li"]


def test_a_role_that_does_not_exist_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        UserCreate(username="x", role="superuser")  # type: ignore[arg-type]
    assert err.value.errors()[0]["loc"] == ("role",)


def test_fleet_register_round_trip_and_duplicates(store: Store) -> None:
    with store.transaction() as s:
        register_vehicle(s, _vehicle(1, video_source_url="udp://127.0.0.1:5600"))
        register_vehicle(s, _vehicle(2))
    with store.transaction() as s:
        with pytest.raises(AlreadyExists) as err:
            register_vehicle(s, _vehicle(1))
        assert err.value.field == "drone_id"
    with store.transaction() as s:
        changed = update_vehicle(s, 2, VehicleUpdate(status=VehicleStatus.MAINTENANCE,
                                                     payloads=["camera", "thermal"]))
        assert changed.status is VehicleStatus.MAINTENANCE
    with store.read_session() as s:
        assert get_vehicle(s, 1).video_source_url == "udp://127.0.0.1:5600"
        assert get_vehicle(s, 2).payloads == ["camera", "thermal"]
        assert [v.drone_id for v in list_vehicles(s)] == [1, 2]
        with pytest.raises(NotFound) as missing:
            get_vehicle(s, 99)
        assert missing.value.field == "drone_id"


def test_a_base_outside_the_globe_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        VehicleCreate(drone_id=1, name="x", base_latitude_deg=91, base_longitude_deg=0)
    assert err.value.errors()[0]["loc"] == ("base_latitude_deg",)


def test_open_incidents_come_most_urgent_first_and_states_are_timelined(store: Store) -> None:
    with store.transaction() as s:
        low = create_incident(s, IncidentCreate(playbook_id="P09", latitude_deg=37.5,
                                                longitude_deg=122.1), reported_by="op", priority=4)
        high = create_incident(s, IncidentCreate(playbook_id="P13", latitude_deg=37.5,
                                                 longitude_deg=122.1), reported_by="op", priority=1)
        done = create_incident(s, IncidentCreate(playbook_id="P01", latitude_deg=37.5,
                                                 longitude_deg=122.1), reported_by="op", priority=2)
    with store.transaction() as s:
        set_incident_state(s, done.id, "cancelled", actor="chief", reason="false alarm")
        set_incident_state(s, high.id, "assigned", actor="dispatcher", drone_id=3)
    with store.read_session() as s:
        assert [i.id for i in list_open_incidents(s)] == [high.id, low.id]
        cancelled = get_incident(s, done.id)
        assert cancelled.state == "cancelled" and cancelled.closed_at is not None
        assert cancelled.reason == "false alarm"
        assert get_incident(s, high.id).drone_id == 3
        timeline = list_events(s, incident_id=done.id)
        assert [(e.from_state, e.to_state, e.actor) for e in timeline] == [
            ("", "open", "op"), ("open", "cancelled", "chief")]
        assert len(list_incidents(s, state="cancelled")) == 1


def test_incident_input_is_checked() -> None:
    with pytest.raises(ValidationError) as err:
        IncidentCreate(playbook_id="P20", latitude_deg=0, longitude_deg=0)
    assert err.value.errors()[0]["loc"] == ("playbook_id",)
    with pytest.raises(ValidationError) as err:
        IncidentCreate(playbook_id="P01", latitude_deg=0, longitude_deg=0, priority=9)
    assert err.value.errors()[0]["loc"] == ("priority",)


def test_missions_commands_and_their_timeline(store: Store) -> None:
    with store.transaction() as s:
        incident = create_incident(s, IncidentCreate(playbook_id="P01", latitude_deg=37.5,
                                                     longitude_deg=122.1), reported_by="op",
                                   priority=1)
        mission = create_mission(s, MissionCreate(incident_id=incident.id, drone_id=1,
                                                  template_id="P01", pattern="orbit",
                                                  items=[{"command": 16}, {"command": 20}]),
                                 created_by="dispatcher")
        assert mission.item_count == 2 and mission.state == "planned"
        cmd = record_command(s, drone_id=1, command="arm", actor="dispatcher",
                             incident_id=incident.id)
        complete_command(s, cmd.id, "accepted")
    with store.transaction() as s:
        flying = set_mission_state(s, mission.id, MissionState.FLYING, actor="dispatcher")
        assert flying.started_at is not None
        done = set_mission_state(s, mission.id, MissionState.COMPLETED, actor="dispatcher")
        assert done.ended_at is not None
    with store.read_session() as s:
        commands = list_commands(s, drone_id=1)
        assert [(c.command, c.result, c.actor) for c in commands] == [
            ("arm", "accepted", "dispatcher")]
        states = [e.to_state for e in list_events(s, mission_id=mission.id)]
        assert states == ["flying", "completed"]


def test_patrols_and_skipped_runs_with_why(store: Store) -> None:
    with store.transaction() as s:
        patrol = create_patrol(s, PatrolScheduleCreate(
            name="morning coast", template_id="SEA-01", cron="0 6 * * *",
            inputs={"route": [[37.5, 122.1], [37.52, 122.15]]}), created_by="chief")
        assert patrol.time_zone == "Asia/Shanghai"
        when = dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)
        record_patrol_run(s, schedule_id=patrol.id, scheduled_for=when,
                          status=PatrolRunStatus.SKIPPED, reason="no drone with 40% battery")
    with store.read_session() as s:
        runs = list_patrol_runs(s, schedule_id=patrol.id)
        assert [(r.status, r.reason) for r in runs] == [("skipped", "no drone with 40% battery")]
        assert last_run_time(s, patrol.id) == dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)
        assert [p.name for p in list_patrols(s, enabled_only=True)] == ["morning coast"]


def test_a_bad_timetable_or_zone_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        PatrolScheduleCreate(name="x", template_id="SEA-01", cron="every morning")
    assert err.value.errors()[0]["loc"] == ("cron",)
    with pytest.raises(ValidationError) as err:
        PatrolScheduleCreate(name="x", template_id="SEA-01", cron="0 6 * * *",
                             time_zone="Mars/Olympus")
    assert err.value.errors()[0]["loc"] == ("time_zone",)


def test_recordings_keep_their_digest(store: Store) -> None:
    digest = "ab" * 32
    with store.transaction() as s:
        add_recording(s, RecordingCreate(drone_id=1, segment_path="rec/1/0001.ts",
                                         sha256=digest, size_bytes=1234))
    with store.read_session() as s:
        (rec,) = list_recordings(s, drone_id=1)
        assert rec.sha256 == digest and rec.size_bytes == 1234
    with pytest.raises(ValidationError):
        RecordingCreate(drone_id=1, segment_path="x", sha256="not-hex")
