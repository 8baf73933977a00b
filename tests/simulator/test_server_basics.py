"""The simulator on the wire: heartbeat, streams, parameters, arming, guided flight."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import SimulatorServer
from tests.simulator.client import GcsClient, connect_gcs

M = mavlink


async def test_heartbeat_says_quadrotor_ardupilot_in_stabilize(gcs: GcsClient) -> None:
    hb = await gcs.wait("HEARTBEAT")
    assert hb.type == M.MAV_TYPE_QUADROTOR
    assert hb.autopilot == M.MAV_AUTOPILOT_ARDUPILOTMEGA
    assert hb.custom_mode == 0  # STABILIZE
    assert hb.get_srcSystem() == 1
    assert not hb.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED


async def test_default_streams_arrive_and_can_be_stopped(gcs: GcsClient) -> None:
    for kind in (
        "GLOBAL_POSITION_INT",
        "ATTITUDE",
        "VFR_HUD",
        "SYS_STATUS",
        "GPS_RAW_INT",
        "BATTERY_STATUS",
        "EKF_STATUS_REPORT",
        "EXTENDED_SYS_STATE",
        "MISSION_CURRENT",
    ):
        await gcs.wait(kind)
    pos = gcs.latest["GLOBAL_POSITION_INT"]
    assert abs(pos.lat - 375125000) < 5 and abs(pos.lon - 1221199000) < 5
    assert abs(pos.alt - 10000) < 50
    result = await gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_ATTITUDE, -1)
    assert result == M.MAV_RESULT_ACCEPTED
    await gcs.wait("SYS_STATUS")  # flush what was in flight
    before = gcs.counts["ATTITUDE"]
    for _ in range(3):
        await gcs.wait("HEARTBEAT")
    assert gcs.counts["ATTITUDE"] == before


async def test_request_message_and_home_position(gcs: GcsClient) -> None:
    home = gcs.expect("HOME_POSITION")
    assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_HOME_POSITION) == 0
    msg = await home
    assert abs(msg.latitude - 375125000) < 5
    version = gcs.expect("AUTOPILOT_VERSION")
    assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION) == 0
    assert (await version).capabilities & M.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, 9999) == M.MAV_RESULT_FAILED


async def test_unknown_command_is_unsupported(gcs: GcsClient) -> None:
    assert await gcs.command(M.MAV_CMD_DO_MOTOR_TEST) == M.MAV_RESULT_UNSUPPORTED


async def test_parameters_list_read_and_set(gcs: GcsClient) -> None:
    first = gcs.expect("PARAM_VALUE", lambda m: m.param_index == 0)
    gcs.send(M.MAVLink_param_request_list_message(1, 1))
    count = (await first).param_count
    await gcs.wait("PARAM_VALUE", lambda m: m.param_index == count - 1)
    assert count > 20
    value = gcs.expect("PARAM_VALUE", lambda m: m.param_id == "RTL_ALT")
    gcs.send(M.MAVLink_param_request_read_message(1, 1, b"RTL_ALT", -1))
    assert (await value).param_value == 1500
    changed = await gcs.set_param("RTL_ALT", 3000)
    assert changed.param_value == 3000
    assert changed.param_type == M.MAV_PARAM_TYPE_INT32
    # an unknown name is not created (as on ArduPilot: no PARAM_VALUE comes back)
    gcs.send(M.MAVLink_param_set_message(1, 1, b"NO_SUCH_PARAM", 1.0, 9))
    again = gcs.expect("PARAM_VALUE", lambda m: m.param_id == "RTL_ALT")
    gcs.send(M.MAVLink_param_request_read_message(1, 1, b"RTL_ALT", -1))
    assert (await again).param_value == 3000
    assert not any(m == "NO_SUCH_PARAM" for m in [gcs.latest["PARAM_VALUE"].param_id])


async def test_arming_refused_without_gps_names_the_reason(gcs: GcsClient) -> None:
    # in GUIDED, which needs a position (ArduCopter arms in STABILIZE without GPS)
    await gcs.wait_armable()
    assert await gcs.set_mode(4) == M.MAV_RESULT_ACCEPTED
    await gcs.set_param("SIM_GPS_DISABLE", 1)
    await gcs.wait("GPS_RAW_INT", lambda m: m.fix_type < 3)
    text = gcs.expect("STATUSTEXT", lambda m: m.text.startswith("PreArm:"))
    result = await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert result == M.MAV_RESULT_FAILED
    assert "GPS" in (await text).text
    assert any("PreArm: GPS 1: Bad fix" == t for t in gcs.texts)
    gps = await gcs.wait("GPS_RAW_INT")
    assert gps.fix_type < 3
    # GPS modes cannot be entered either
    assert await gcs.set_mode(0) == M.MAV_RESULT_ACCEPTED
    assert await gcs.set_mode(5) == M.MAV_RESULT_FAILED  # LOITER


async def test_arming_refused_in_auto_mode_and_on_low_battery(gcs: GcsClient) -> None:
    await gcs.wait_armable()
    await gcs.set_param("BATT_ARM_VOLT", 13.0)
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED
    assert any("Battery" in t for t in gcs.texts)
    # force-arming (21196) bypasses the checks, as on ArduPilot
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1, 21196) == 0
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 0) == 0


async def test_guided_takeoff_goto_land_and_auto_disarm(
    sim: SimulatorServer, gcs: GcsClient
) -> None:
    await gcs.arm_and_takeoff(20.0)
    assert sim.vehicle.relative_altitude_m > 19
    target_lat, target_lon = 37.5135, 122.1209
    gcs.send(
        M.MAVLink_set_position_target_global_int_message(
            0,
            1,
            1,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            0b110111111000,
            round(target_lat * 1e7),
            round(target_lon * 1e7),
            25.0,
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
    await gcs.position(
        lambda m: (
            abs(m.lat - 375135000) < 30
            and abs(m.lon - 1221209000) < 30
            and abs(m.relative_alt - 25000) < 500
        )
    )
    hud = gcs.latest["VFR_HUD"]
    assert 0 <= hud.heading < 360
    assert await gcs.command(M.MAV_CMD_NAV_LAND) == 0
    hb = await gcs.heartbeat_where(lambda m: not m.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED, 60)
    assert hb.custom_mode == 9  # LAND
    pos = gcs.latest["GLOBAL_POSITION_INT"]
    assert abs(pos.relative_alt) < 300
    state = await gcs.wait("EXTENDED_SYS_STATE")
    assert state.landed_state == M.MAV_LANDED_STATE_ON_GROUND


async def test_takeoff_refused_when_disarmed_or_in_wrong_frame(gcs: GcsClient) -> None:
    await gcs.wait_armable()
    assert await gcs.set_mode(4) == 0
    assert await gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10) == M.MAV_RESULT_FAILED
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    result = await gcs.command_int(M.MAV_CMD_NAV_TAKEOFF, M.MAV_FRAME_GLOBAL, z=10)
    assert result == M.MAV_RESULT_DENIED
    result = await gcs.command_int(M.MAV_CMD_NAV_TAKEOFF, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, z=10)
    assert result == M.MAV_RESULT_ACCEPTED


async def test_two_clients_see_the_same_vehicle(sim: SimulatorServer) -> None:
    async with connect_gcs(sim.tcp_port) as a, connect_gcs(sim.tcp_port, system_id=254) as b:
        await a.wait("HEARTBEAT")
        await b.wait("HEARTBEAT")
        await a.wait_armable()
        assert await a.set_mode(5) == 0
        await b.heartbeat_where(lambda m: m.custom_mode == 5)


async def test_mavlink_ftp_is_refused_at_once(gcs: GcsClient) -> None:
    request = bytearray(251)
    request[0:2] = (41).to_bytes(2, "little")
    request[3] = 4  # OpenFileRO
    nak = gcs.expect("FILE_TRANSFER_PROTOCOL")
    gcs.send(M.MAVLink_file_transfer_protocol_message(0, 1, 1, list(request)))
    reply = bytes((await nak).payload)
    assert int.from_bytes(reply[0:2], "little") == 42
    assert (reply[3], reply[5]) == (129, 4)  # NAK of OpenFileRO
