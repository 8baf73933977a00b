"""Commands and stream requests on the wire, one behaviour each."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import SimulatorServer
from tests.simulator.client import GcsClient
from tests.simulator.test_missions import HOME_SLOT, at, wp

M = mavlink
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT


async def test_set_mode_message_is_acked_like_arducopter(gcs: GcsClient) -> None:
    await gcs.wait_armable()
    ack = gcs.expect("COMMAND_ACK", lambda m: m.command == M.MAVLINK_MSG_ID_SET_MODE)
    gcs.send(M.MAVLink_set_mode_message(1, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 16))  # POSHOLD
    assert (await ack).result == M.MAV_RESULT_FAILED  # not flown by the simulator
    ack = gcs.expect("COMMAND_ACK", lambda m: m.command == M.MAVLINK_MSG_ID_SET_MODE)
    gcs.send(M.MAVLink_set_mode_message(1, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, 17))  # BRAKE
    assert (await ack).result == M.MAV_RESULT_ACCEPTED
    await gcs.heartbeat_where(lambda m: m.custom_mode == 17)


async def test_request_data_stream_starts_and_stops_a_group(gcs: GcsClient) -> None:
    gcs.send(M.MAVLink_request_data_stream_message(1, 1, M.MAV_DATA_STREAM_POSITION, 0, 0))
    gcs.send(M.MAVLink_request_data_stream_message(1, 1, M.MAV_DATA_STREAM_EXTRA3, 0, 0))
    # a round trip after the requests: nothing of the stopped group is sent after its answer
    answer = gcs.expect("PARAM_VALUE")
    gcs.send(M.MAVLink_param_request_read_message(1, 1, b"RTL_ALT", -1))
    await answer
    before = gcs.counts["GLOBAL_POSITION_INT"]
    await gcs.wait("HEARTBEAT")
    await gcs.wait("HEARTBEAT")
    assert gcs.counts["GLOBAL_POSITION_INT"] == before
    gcs.send(M.MAVLink_request_data_stream_message(1, 1, M.MAV_DATA_STREAM_POSITION, 10, 1))
    await gcs.wait("LOCAL_POSITION_NED")
    await gcs.wait("GLOBAL_POSITION_INT")


async def test_reposition_switches_to_guided_when_asked(
    sim: SimulatorServer, gcs: GcsClient
) -> None:
    await gcs.arm_and_takeoff(10.0)
    assert await gcs.set_mode(5) == 0  # LOITER
    lat, lon = at(0, 60)
    x, y = round(lat * 1e7), round(lon * 1e7)
    denied = await gcs.command_int(M.MAV_CMD_DO_REPOSITION, REL, -1, 0, 0, 0, x, y, 15)
    assert denied == M.MAV_RESULT_DENIED  # not in GUIDED, and no change-mode flag
    flags = M.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE
    assert await gcs.command_int(M.MAV_CMD_DO_REPOSITION, REL, 3, flags, 0, 0, x, y, 15) == 0
    await gcs.heartbeat_where(lambda m: m.custom_mode == 4)
    await gcs.position(lambda m: abs(m.lon - y) < 30 and abs(m.relative_alt - 15000) < 500, 60)
    assert sim.vehicle.ground_speed_m_s < 3.1


async def test_velocity_target_moves_it_and_roi_points_the_camera(
    sim: SimulatorServer, gcs: GcsClient
) -> None:
    await gcs.arm_and_takeoff(20.0)
    gcs.send(
        M.MAVLink_set_position_target_global_int_message(
            0,
            1,
            1,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            0b110111000111,
            0,
            0,
            0,
            0,
            3.0,
            0,
            0,
            0,
            0,
            0,
            0,
        )
    )
    await gcs.position(lambda m: abs(m.vy - 300) < 10)
    lat, lon = at(0, 0)
    assert await gcs.command(M.MAV_CMD_DO_SET_ROI_LOCATION, 0, 0, 0, 0, lat, lon, 0) == 0
    await gcs.position(lambda m: True)
    v = sim.vehicle
    assert v.roi is not None and v.gimbal_pitch_deg < -5  # looking down at the point
    assert await gcs.command(M.MAV_CMD_DO_SET_ROI_NONE) == 0
    assert v.roi is None


async def test_set_home_and_mission_current(sim: SimulatorServer, gcs: GcsClient) -> None:
    lat, lon = at(100, 100)
    # COMMAND_LONG carries degrees as float32: good to about 2e-6 degrees
    home = gcs.expect("HOME_POSITION", lambda m: abs(m.latitude - round(lat * 1e7)) < 30)
    assert await gcs.command(M.MAV_CMD_DO_SET_HOME, 0, 0, 0, 0, lat, lon, 30.0) == 0
    assert abs((await home).altitude - 30000) < 5
    assert await gcs.upload([HOME_SLOT, wp(10, 0, 10), wp(20, 0, 10), wp(30, 0, 10)]) == 0
    current = gcs.expect("MISSION_CURRENT", lambda m: m.seq == 2)
    gcs.send(M.MAVLink_mission_set_current_message(1, 1, 2))
    assert (await current).total == 3
    back = await gcs.download()
    assert abs(back[0].x - round(lat * 1e7)) < 30  # home at 0 is the new home


async def test_camera_and_payload_commands(sim: SimulatorServer, gcs: GcsClient) -> None:
    feedback = gcs.expect("CAMERA_FEEDBACK")
    assert await gcs.command(M.MAV_CMD_DO_DIGICAM_CONTROL, 0, 0, 0, 0, 1) == 0
    shot = await feedback
    assert shot.img_idx == 1 and abs(shot.lat - 375125000) < 5
    assert await gcs.command(M.MAV_CMD_DO_MOUNT_CONTROL, -60, 0, 20) == 0
    assert await gcs.command(M.MAV_CMD_DO_SET_RELAY, 0, 1) == 0
    assert await gcs.command(M.MAV_CMD_DO_GRIPPER, 1, 1) == 0
    v = sim.vehicle
    assert (v.gimbal_pitch_deg, v.gimbal_yaw_deg) == (-60, 20)
    assert v.relays == {0: 1} and v.gripper_grabbed is True
    assert v.photo_count == 1 and v.camera_triggers[-1].gimbal_pitch_deg == 0
