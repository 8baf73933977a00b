"""The autopilot without a socket: SimVehicle.step() and its decisions."""

from __future__ import annotations

import math

from jinghang.missions.items import Cmd, Frame, MissionItem
from jinghang.simulator.geo import offset_deg
from jinghang.simulator.modes import Mode
from jinghang.simulator.notices import ItemReached, StatusText
from jinghang.simulator.vehicle import ACCEPTED, FAILED, MODEL, SimVehicle

HOME = (37.5, 122.1, 20.0, 0.0)


def run(v: SimVehicle, seconds: float, dt_s: float = 0.05) -> None:
    for _ in range(round(seconds / dt_s)):
        v.step(dt_s)


def ready() -> SimVehicle:
    v = SimVehicle(HOME)
    run(v, 3)
    return v


def flying(alt_m: float = 10.0) -> SimVehicle:
    v = ready()
    assert v.set_mode(Mode.GUIDED)
    assert v.arm() == ACCEPTED
    assert v.takeoff(alt_m) == ACCEPTED
    run(v, MODEL.takeoff_delay_s + alt_m / 2.5 + 4)  # spool-up, climb, settle
    return v


def test_ekf_needs_time_before_position_modes() -> None:
    v = SimVehicle(HOME)
    assert not v.set_mode(Mode.GUIDED)
    assert v.prearm_failures() == []  # STABILIZE needs no position estimate to arm
    run(v, 3)
    assert v.set_mode(Mode.GUIDED)


def test_takeoff_reaches_the_altitude_and_holds() -> None:
    v = flying(12.0)
    assert abs(v.relative_altitude_m - 12.0) < 0.3
    assert v.altitude_amsl_m > HOME[2] + 11.5
    run(v, 10)
    assert abs(v.relative_altitude_m - 12.0) < 0.1


def test_goto_with_changed_speed() -> None:
    v = flying()
    assert v.set_speed(4.0) == ACCEPTED
    lat, lon = offset_deg(HOME[0], HOME[1], 0, 100)
    assert v.goto(lat, lon, 10.0) == ACCEPTED
    run(v, 8)
    assert abs(v.ground_speed_m_s - 4.0) < 0.05
    assert abs(v.heading_deg - 90.0) < 1.0
    run(v, 30)
    assert abs(v.physics.east_m - 100) < 0.5


def test_wind_drifts_it_in_alt_hold_but_not_in_loiter() -> None:
    v = flying()
    v.params.set("SIM_WIND_SPD", 5.0)
    v.params.set("SIM_WIND_DIR", 270.0)  # from the west: blows east
    v.param_changed("SIM_WIND_SPD")
    assert v.set_mode(Mode.LOITER)
    run(v, 20)
    assert abs(v.physics.east_m) < 1.0
    assert v.set_mode(Mode.ALT_HOLD)
    run(v, 20)
    assert v.physics.east_m > 50
    assert abs(v.relative_altitude_m - 10.0) < 0.5


def test_circle_mode_goes_round_at_the_radius() -> None:
    v = flying()
    v.params.set("CIRCLE_RADIUS", 2000)
    assert v.set_mode(Mode.CIRCLE)
    cn, ce, radius, _rate = v._circle
    assert radius == 20.0
    run(v, 30)
    dist = math.hypot(v.physics.north_m - cn, v.physics.east_m - ce)
    assert abs(dist - 20.0) < 1.5


def test_brake_stops_quickly() -> None:
    v = flying()
    lat, lon = offset_deg(HOME[0], HOME[1], 500, 0)
    v.goto(lat, lon, 10)
    run(v, 10)
    assert v.ground_speed_m_s > 5
    assert v.set_mode(Mode.BRAKE)
    run(v, 6)
    assert v.ground_speed_m_s < 0.1


def test_disarm_refused_in_flight_unless_forced() -> None:
    v = flying()
    assert v.disarm() == FAILED
    assert v.armed
    assert v.disarm(force=True) == ACCEPTED
    run(v, 10)
    assert v.on_ground


def test_auto_disarm_after_sitting_armed_on_the_ground() -> None:
    v = ready()
    v.set_mode(Mode.LOITER)
    assert v.arm() == ACCEPTED
    run(v, 9)
    assert v.armed
    run(v, 2)
    assert not v.armed


def test_unlimited_jump_loop_runs_until_stopped_and_counted_jumps_end() -> None:
    v = ready()
    a = offset_deg(HOME[0], HOME[1], 20, 0)
    items = [
        v.home_item(),
        MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, altitude_m=10),
        MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=a[0], longitude_deg=a[1], altitude_m=10),
        MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=HOME[0], longitude_deg=HOME[1], altitude_m=10),
        MissionItem(Cmd.DO_JUMP, Frame.MISSION, param1=2, param2=2),
        MissionItem(Cmd.NAV_LAND, altitude_m=0),
    ]
    v.store_mission(0, items)
    assert v.set_mode(Mode.GUIDED) and v.arm() == ACCEPTED
    assert v.set_mode(Mode.AUTO)
    run(v, 200)
    reached = [n.seq for n in v.outbox if isinstance(n, ItemReached)]
    assert reached == [1, 2, 3, 2, 3, 2, 3]  # the final NAV_LAND disarms, unreported
    assert not v.armed
    texts = [n.text for n in v.outbox if isinstance(n, StatusText)]
    assert "Mission: 4 Jump 2/2" in texts


def test_battery_low_without_an_action_only_warns() -> None:
    v = flying()
    v.params.set("BATT_LOW_VOLT", 13.0)  # BATT_FS_LOW_ACT stays 0: warn, do nothing
    run(v, 15)
    assert v.mode == Mode.GUIDED and v.armed
    assert any(isinstance(n, StatusText) and "Battery 1 is low" in n.text for n in v.outbox)


def test_land_then_takeoff_in_one_mission_goes_on() -> None:
    v = ready()
    a = offset_deg(HOME[0], HOME[1], 20, 0)
    items = [
        v.home_item(),
        MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, altitude_m=10),
        MissionItem(Cmd.NAV_LAND, latitude_deg=a[0], longitude_deg=a[1]),
        MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, altitude_m=5),
        MissionItem(Cmd.NAV_RETURN_TO_LAUNCH),
    ]
    v.store_mission(0, items)
    assert v.set_mode(Mode.GUIDED) and v.arm() == ACCEPTED
    assert v.set_mode(Mode.AUTO)
    run(v, 200)
    assert [n.seq for n in v.outbox if isinstance(n, ItemReached)] == [1, 2, 3, 4]
    assert not v.armed
    assert abs(v.physics.north_m) < 1.0


def test_do_commands_run_when_the_preceding_nav_item_is_reached() -> None:
    """As AP_Mission: DO items between WP A and WP B start when A is reached."""
    v = ready()
    a = offset_deg(HOME[0], HOME[1], 100, 0)
    b = offset_deg(HOME[0], HOME[1], 100, 100)
    items = [
        v.home_item(),
        MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, altitude_m=10),
        MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=a[0], longitude_deg=a[1], altitude_m=10),
        MissionItem(Cmd.DO_SET_CAM_TRIGG_DIST, Frame.MISSION, param1=20),
        MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, param1=1, param2=4),
        MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=b[0], longitude_deg=b[1], altitude_m=10),
        MissionItem(Cmd.DO_SET_CAM_TRIGG_DIST, Frame.MISSION, param1=0),
        MissionItem(Cmd.NAV_RETURN_TO_LAUNCH),
    ]
    v.store_mission(0, items)
    assert v.set_mode(Mode.GUIDED) and v.arm() == ACCEPTED
    assert v.set_mode(Mode.AUTO)
    run(v, MODEL.takeoff_delay_s + 13)
    assert 20 < v.physics.north_m < 90  # still on the first leg, at 10 m/s, no photos yet
    assert v.photo_count == 0 and v.ground_speed_m_s > 8
    run(v, 300)
    assert v.photo_count >= 4
    for shot in v.camera_triggers:  # every photo on the A -> B lane
        north, east = v._local(shot.latitude_deg, shot.longitude_deg)
        assert abs(north - 100) < 3 and -1 < east < 103


def test_losing_gps_in_guided_flight_lands() -> None:
    v = flying()
    v.params.set("SIM_GPS_DISABLE", 1)
    run(v, 2)
    assert v.mode == Mode.LAND
    assert any(
        isinstance(n, StatusText) and n.text == "EKF Failsafe: changed to LAND Mode"
        for n in v.outbox
    )
    run(v, 40)
    assert not v.armed and v.on_ground
