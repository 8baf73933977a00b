"""Failsafes and RTL on the simulator: battery, lost GCS heartbeat, geofence."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import SimulatorServer
from tests.simulator.client import GcsClient
from tests.simulator.test_missions import at

M = mavlink
ARMED = M.MAV_MODE_FLAG_SAFETY_ARMED


async def goto(gcs: GcsClient, north_m: float, east_m: float, alt_m: float) -> None:
    lat, lon = at(north_m, east_m)
    gcs.send(
        M.MAVLink_set_position_target_global_int_message(
            0,
            1,
            1,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            0b110111111000,
            round(lat * 1e7),
            round(lon * 1e7),
            alt_m,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        )
    )


async def test_rtl_climbs_returns_home_and_lands(sim: SimulatorServer, gcs: GcsClient) -> None:
    await gcs.set_param("RTL_ALT", 2500)
    await gcs.arm_and_takeoff(10.0)
    await goto(gcs, 80, 40, 10)
    await gcs.position(lambda m: abs(m.vx) + abs(m.vy) > 300)
    assert await gcs.command(M.MAV_CMD_NAV_RETURN_TO_LAUNCH) == 0
    await gcs.position(lambda m: m.relative_alt > 24000)  # climbs to RTL_ALT first
    hb = await gcs.heartbeat_where(lambda m: not m.base_mode & ARMED, 120)
    assert hb.custom_mode == 6
    p = sim.vehicle.physics
    assert abs(p.north_m) < 1.5 and abs(p.east_m) < 1.5
    assert sim.vehicle.relative_altitude_m < 0.2


async def test_battery_failsafe_rtl_then_land_when_critical(gcs: GcsClient) -> None:
    for name, value in (("BATT_FS_LOW_ACT", 2), ("BATT_FS_CRT_ACT", 1), ("BATT_LOW_TIMER", 2)):
        await gcs.set_param(name, value)
    await gcs.arm_and_takeoff(30.0)
    await goto(gcs, 200, 0, 30)
    await gcs.set_param("BATT_LOW_VOLT", 12.7)  # above the battery's voltage: low at once
    text = await gcs.wait("STATUSTEXT", lambda m: "Battery 1 is low" in m.text)
    assert text.severity == M.MAV_SEVERITY_WARNING
    await gcs.heartbeat_where(lambda m: m.custom_mode == 6)  # RTL
    await gcs.set_param("BATT_CRT_VOLT", 12.65)
    await gcs.wait("STATUSTEXT", lambda m: "Battery 1 is critical" in m.text)
    await gcs.heartbeat_where(lambda m: m.custom_mode == 9)  # LAND
    status = await gcs.wait("BATTERY_STATUS")
    assert status.charge_state == M.MAV_BATTERY_CHARGE_STATE_CRITICAL
    await gcs.heartbeat_where(lambda m: not m.base_mode & ARMED, 120)


async def test_battery_drains_with_flight_time(sim: SimulatorServer, gcs: GcsClient) -> None:
    start = await gcs.wait("BATTERY_STATUS")
    await gcs.arm_and_takeoff(40.0)
    await goto(gcs, 0, 600, 40)
    await gcs.position(lambda m: abs(m.lon - round(at(0, 600)[1] * 1e7)) < 50, 120)
    later = await gcs.wait("BATTERY_STATUS")
    assert later.current_consumed > start.current_consumed + 50
    assert later.battery_remaining < start.battery_remaining
    assert later.voltages[0] < start.voltages[0]


async def test_gcs_heartbeat_loss_triggers_rtl(gcs: GcsClient) -> None:
    await gcs.set_param("FS_GCS_ENABLE", 1)
    await gcs.set_param("FS_GCS_TIMEOUT", 1)  # wall-clock seconds on the built-in simulator
    await gcs.arm_and_takeoff(10.0)
    gcs.send_heartbeats = False
    await gcs.wait("STATUSTEXT", lambda m: m.text.startswith("GCS Failsafe"))
    await gcs.heartbeat_where(lambda m: m.custom_mode == 6)
    gcs.send_heartbeats = True
    await gcs.wait("STATUSTEXT", lambda m: m.text == "GCS Failsafe Cleared")


async def test_circle_fence_breach_triggers_rtl(sim: SimulatorServer, gcs: GcsClient) -> None:
    for name, value in (("FENCE_TYPE", 3), ("FENCE_RADIUS", 60), ("FENCE_ALT_MAX", 50)):
        await gcs.set_param(name, value)
    await gcs.arm_and_takeoff(10.0)
    assert (
        await gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_FENCE_STATUS, 2e5) == 0
    )
    await goto(gcs, 150, 0, 10)
    await gcs.position(lambda m: m.lat > round(at(80, 0)[0] * 1e7))
    await gcs.set_param("FENCE_ENABLE", 1)  # switched on outside it
    text = await gcs.wait("STATUSTEXT", lambda m: m.text.endswith("breached"))
    assert text.text == "Circle fence breached"
    await gcs.heartbeat_where(lambda m: m.custom_mode == 6)
    status = await gcs.wait("FENCE_STATUS", lambda m: m.breach_count >= 1)
    assert status.breach_type in (M.FENCE_BREACH_BOUNDARY, M.FENCE_BREACH_NONE)
    home_lat = round(at(0, 0)[0] * 1e7)
    await gcs.position(lambda m: abs(m.lat - home_lat) < 100)  # and it comes back inside
    assert "Fence breach cleared" in gcs.texts


async def test_guided_destination_outside_the_fence_is_refused(
    sim: SimulatorServer, gcs: GcsClient
) -> None:
    for name, value in (("FENCE_TYPE", 3), ("FENCE_RADIUS", 60), ("FENCE_ENABLE", 1)):
        await gcs.set_param(name, value)
    await gcs.arm_and_takeoff(10.0)
    lat, lon = at(150, 0)
    result = await gcs.command_int(
        M.MAV_CMD_DO_REPOSITION,
        M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        -1,
        0,
        0,
        0,
        round(lat * 1e7),
        round(lon * 1e7),
        10,
    )
    assert result == M.MAV_RESULT_FAILED
    lat, lon = at(40, 0)
    result = await gcs.command_int(
        M.MAV_CMD_DO_REPOSITION,
        M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        -1,
        0,
        0,
        0,
        round(lat * 1e7),
        round(lon * 1e7),
        10,
    )
    assert result == M.MAV_RESULT_ACCEPTED
    await gcs.position(lambda m: abs(m.lat - round(lat * 1e7)) < 30)


async def test_altitude_fence_breach_triggers_rtl(gcs: GcsClient) -> None:
    for name, value in (("FENCE_TYPE", 1), ("FENCE_ALT_MAX", 30)):
        await gcs.set_param(name, value)
    await gcs.arm_and_takeoff(40.0)
    await gcs.set_param("FENCE_ENABLE", 1)
    text = await gcs.wait("STATUSTEXT", lambda m: m.text.endswith("breached"))
    assert text.text == "Max Alt fence breached"
    await gcs.heartbeat_where(lambda m: m.custom_mode == 6)
    await gcs.position(lambda m: m.relative_alt < 28500)  # RTL stays under the ceiling


async def test_polygon_exclusion_fence_uploaded_as_fence_mission(
    sim: SimulatorServer, gcs: GcsClient
) -> None:
    square = [at(80, -20), at(80, 20), at(120, 20), at(120, -20)]
    fence = [
        (M.MAV_FRAME_GLOBAL, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION, 4, 0, 0, 0, lat, lon, 0)
        for lat, lon in square
    ]
    inclusion = [
        (M.MAV_FRAME_GLOBAL, M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, 500, 0, 0, 0, *at(0, 0), 0)
    ]
    assert await gcs.upload(fence + inclusion, mission_type=M.MAV_MISSION_TYPE_FENCE) == 0
    back = await gcs.download(M.MAV_MISSION_TYPE_FENCE)
    assert [m.command for m in back] == [5002] * 4 + [5003]
    assert back[0].seq == 0 and back[0].mission_type == M.MAV_MISSION_TYPE_FENCE
    for name, value in (("FENCE_ENABLE", 1), ("FENCE_TYPE", 4)):
        await gcs.set_param(name, value)
    await gcs.arm_and_takeoff(10.0)
    await goto(gcs, 200, 0, 10)  # straight through the excluded square
    text = await gcs.wait("STATUSTEXT", lambda m: m.text.endswith("breached"))
    assert text.text == "Polygon fence breached"
    await gcs.heartbeat_where(lambda m: m.custom_mode == 6)
    assert sim.vehicle.physics.north_m < 140
