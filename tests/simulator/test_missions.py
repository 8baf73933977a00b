"""Missions on the simulator: transfer with home at 0, and AUTO flights to the end."""

from __future__ import annotations

import random

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import SimulatorServer
from jinghang.simulator.geo import offset_deg
from tests.simulator.client import GcsClient
from tests.simulator.conftest import HOME

M = mavlink
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
NOPOS = M.MAV_FRAME_MISSION


def at(north_m: float, east_m: float) -> tuple[float, float]:
    return offset_deg(HOME[0], HOME[1], north_m, east_m)


def wp(
    north_m: float, east_m: float, alt_m: float, hold_s: float = 0.0, radius_m: float = 0.0
) -> tuple[object, ...]:
    lat, lon = at(north_m, east_m)
    return (REL, M.MAV_CMD_NAV_WAYPOINT, hold_s, radius_m, 0, 0, lat, lon, alt_m)


def do(
    cmd: int, p1: float = 0, p2: float = 0, p3: float = 0, p4: float = 0, x: float = 0.0
) -> tuple[object, ...]:
    return (NOPOS, cmd, p1, p2, p3, p4, x, 0.0, 0.0)


HOME_SLOT = (0, M.MAV_CMD_NAV_WAYPOINT, 0, 0, 0, 0, HOME[0], HOME[1], HOME[2])


async def test_300_item_mission_uploads_and_downloads_identical(gcs: GcsClient) -> None:
    rng = random.Random(7)
    items = [HOME_SLOT] + [
        wp(
            rng.uniform(-900, 900),
            rng.uniform(-900, 900),
            rng.uniform(10, 120),
            hold_s=rng.choice([0, 1, 2.5]),
            radius_m=rng.choice([0, 2, 5]),
        )
        for _ in range(300)
    ]
    assert await gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    back = await gcs.download()
    assert len(back) == 301
    assert back[0].seq == 0 and back[0].frame == M.MAV_FRAME_GLOBAL  # home, in AMSL
    for sent, got in zip(items[1:], back[1:], strict=True):
        frame, cmd, p1, p2, p3, p4, lat, lon, alt = sent
        assert (got.frame, got.command) == (frame, cmd)
        assert (got.param1, got.param2, got.param3, got.param4) == (p1, p2, p3, p4)
        assert (got.x, got.y) == (round(lat * 1e7), round(lon * 1e7))
        assert abs(got.z - alt) < 1e-4


async def test_upload_survives_repeated_and_out_of_order_items(gcs: GcsClient) -> None:
    items = [HOME_SLOT, wp(10, 0, 10), wp(20, 0, 10), wp(30, 0, 10)]
    done = gcs.expect("MISSION_ACK", lambda m: m.type != M.MAV_MISSION_INVALID_SEQUENCE)
    complaints = gcs.expect("MISSION_ACK", lambda m: m.type == M.MAV_MISSION_INVALID_SEQUENCE)
    first = gcs.expect("MISSION_REQUEST", lambda m: m.seq == 1)
    gcs.send(M.MAVLink_mission_count_message(1, 1, len(items), 0))
    for seq in (0, 0, 3):  # seq 0 twice, then one out of order
        gcs.send(gcs.item_message(seq, items[seq]))
    await first
    for seq in (1, 2, 3):
        gcs.send(gcs.item_message(seq, items[seq]))
    assert (await done).type == M.MAV_MISSION_ACCEPTED
    assert (await complaints).type == M.MAV_MISSION_INVALID_SEQUENCE
    assert len(await gcs.download()) == 4


async def test_clear_and_too_many_items(gcs: GcsClient) -> None:
    assert await gcs.upload([HOME_SLOT, wp(10, 0, 10)]) == 0
    ack = gcs.expect("MISSION_ACK")
    gcs.send(M.MAVLink_mission_clear_all_message(1, 1, 0))
    assert (await ack).type == M.MAV_MISSION_ACCEPTED
    assert len(await gcs.download()) == 1  # only home remains
    ack = gcs.expect("MISSION_ACK")
    gcs.send(M.MAVLink_mission_count_message(1, 1, 5000, 0))
    assert (await ack).type == M.MAV_MISSION_NO_SPACE


async def test_auto_mission_flies_to_the_end_reporting_every_item(
    sim: SimulatorServer, gcs: GcsClient
) -> None:
    items = [
        HOME_SLOT,
        (REL, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0.0, 0.0, 15.0),  # 1
        do(M.MAV_CMD_DO_CHANGE_SPEED, 1, 12),  # 2
        wp(60, 0, 20),  # 3
        do(M.MAV_CMD_DO_SET_CAM_TRIGG_DIST, 15, 0, 1),  # 4
        wp(60, 60, 20, hold_s=2),  # 5
        do(M.MAV_CMD_DO_SET_CAM_TRIGG_DIST, 0),  # 6
        do(M.MAV_CMD_DO_JUMP, 3, 1),  # 7: fly 3..6 once more
        do(M.MAV_CMD_DO_DIGICAM_CONTROL, 0, 0, 0, 0, 1),  # 8: one photo
        do(M.MAV_CMD_DO_MOUNT_CONTROL, -45, 0, 30),  # 9
        (REL, M.MAV_CMD_NAV_LOITER_TIME, 3, 0, 0, 0, *at(0, 60), 20.0),  # 10
        do(M.MAV_CMD_DO_SET_ROI_LOCATION, x=0),  # 11 (ROI none via 0,0)
        do(M.MAV_CMD_DO_SET_SERVO, 9, 1900),  # 12
        do(M.MAV_CMD_DO_GRIPPER, 1, 0),  # 13
        (REL, M.MAV_CMD_NAV_LOITER_TURNS, 1, 0, 10, 0, *at(0, 0), 20.0),  # 14
        (REL, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0, 0, 0.0, 0.0, 0.0),  # 15
    ]
    assert await gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    await gcs.wait_armable()
    assert await gcs.set_mode(4) == 0
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert await gcs.command(M.MAV_CMD_MISSION_START) == 0
    await gcs.heartbeat_where(lambda m: m.custom_mode == 3)
    await gcs.heartbeat_where(lambda m: not m.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED, 120)
    assert gcs.reached == [1, 3, 5, 3, 5, 10, 14, 15]
    # distance triggering runs on the leg from item 3 to item 5 (DO commands between two NAV
    # items run when the first is reached, as in ArduPilot): one photo at once, then every
    # 15 m of the ~60 m leg, twice (the jump repeats it); plus the digicam shot
    assert len(gcs.feedback) >= 2 * (1 + 3) + 1
    assert [f.img_idx for f in gcs.feedback] == list(range(1, len(gcs.feedback) + 1))
    assert sim.vehicle.servos[9] == 1900
    assert sim.vehicle.gripper_grabbed is False
    assert sim.vehicle.gimbal_pitch_deg == -45
    assert abs(sim.vehicle.relative_altitude_m) < 0.3
    current = await gcs.wait("MISSION_CURRENT")
    assert current.seq == 15 and current.total == 15


async def test_auto_refused_without_takeoff_on_ground_and_without_mission(gcs: GcsClient) -> None:
    await gcs.wait_armable()
    assert await gcs.set_mode(3) == M.MAV_RESULT_FAILED  # no mission
    assert await gcs.upload([HOME_SLOT, wp(20, 0, 10)]) == 0
    assert await gcs.set_mode(4) == 0
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert await gcs.set_mode(3) == M.MAV_RESULT_FAILED
    assert "Auto: Missing Takeoff Cmd" in gcs.texts


async def test_pause_and_resume_in_auto(sim: SimulatorServer, gcs: GcsClient) -> None:
    items = [
        HOME_SLOT,
        (REL, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0.0, 0.0, 10.0),
        wp(300, 0, 10),
        (REL, M.MAV_CMD_NAV_LAND, 0, 0, 0, 0, 0.0, 0.0, 0.0),
    ]
    assert await gcs.upload(items) == 0
    await gcs.wait_armable()
    assert await gcs.set_mode(4) == 0
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
    assert await gcs.command(M.MAV_CMD_MISSION_START) == 0
    await gcs.position(lambda m: m.vx > 500)  # under way north at more than 5 m/s
    assert await gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 0) == 0
    stopped = await gcs.position(lambda m: abs(m.vx) < 5 and abs(m.vy) < 5)
    for _ in range(3):  # it stays put while paused
        pos = await gcs.wait("GLOBAL_POSITION_INT")
        assert abs(pos.lat - stopped.lat) < 20
    assert gcs.reached == [1]
    assert await gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 1) == 0
    await gcs.heartbeat_where(lambda m: not m.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED, 120)
    assert gcs.reached == [1, 2]  # as ArduCopter: the final landing disarms, unreported
    north, _ = sim.vehicle.physics.north_m, sim.vehicle.physics.east_m
    assert abs(north - 300) < 3


async def test_pause_refused_when_not_flying(gcs: GcsClient) -> None:
    assert await gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 0) == M.MAV_RESULT_FAILED
    assert "Failed to pause" in gcs.texts
