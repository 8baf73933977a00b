"""The same wire behaviour from the built-in simulator and from real ArduPilot SITL (the
``sitl`` case runs when JINGHANG_SITL_BINARY names an arducopter binary)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import start_vehicle
from tests.simulator.client import GcsClient, connect_gcs
from tests.simulator.conftest import HOME
from tests.simulator.test_missions import HOME_SLOT, REL, at, wp

M = mavlink
ARMED = M.MAV_MODE_FLAG_SAFETY_ARMED
KNOBS = (
    "SIM_BATT_VOLTAGE",
    "SIM_WIND_SPD",
    "SIM_WIND_DIR",
    "BATT_LOW_VOLT",
    "BATT_CRT_VOLT",
    "BATT_FS_LOW_ACT",
    "BATT_FS_CRT_ACT",
    "FS_GCS_ENABLE",
    "FENCE_ENABLE",
    "FENCE_TYPE",
    "FENCE_ALT_MAX",
    "FENCE_RADIUS",
    "FENCE_ACTION",
    ("WPNAV_SPEED", "WP_SPD"),  # ArduPilot 4.5/4.6 name, or the 4.7+ SI one
    ("RTL_ALT", "RTL_ALT_M"),
    ("LAND_SPEED", "LAND_SPD_MS"),
)


@asynccontextmanager
async def vehicle(backend: str, speedup: float = 10.0) -> AsyncIterator[GcsClient]:
    async with (
        start_vehicle(backend, home=HOME, speedup=speedup) as address,
        connect_gcs(int(address.rsplit(":", 1)[1])) as gcs,
    ):
        await gcs.wait("HEARTBEAT", timeout_s=60)
        # SITL streams only what it is asked for, as a ground station asks
        gcs.send(M.MAVLink_request_data_stream_message(1, 1, M.MAV_DATA_STREAM_ALL, 4, 1))
        for msg_id in (M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, M.MAVLINK_MSG_ID_SYS_STATUS):
            await gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, msg_id, 200_000)
        yield gcs


async def test_heartbeat_params_and_home(backend: str) -> None:
    async with vehicle(backend) as gcs:
        hb = await gcs.wait("HEARTBEAT")
        assert (hb.type, hb.autopilot) == (M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_ARDUPILOTMEGA)
        for knob in KNOBS:
            names = (knob,) if isinstance(knob, str) else knob
            got = gcs.expect("PARAM_VALUE", lambda m, n=names: m.param_id in n)
            for name in names:
                gcs.send(M.MAVLink_param_request_read_message(1, 1, name.encode(), -1))
            try:
                await gcs.wait("PARAM_VALUE", lambda m, n=names: m.param_id in n, timeout_s=5)
            except TimeoutError:
                raise AssertionError(f"no parameter {' or '.join(names)}") from None
            got.cancel()
        # the system id under its 4.5/4.6 name or its 4.7 name (MAV_SYSID)
        sysid = gcs.expect("PARAM_VALUE", lambda m: m.param_id in ("SYSID_THISMAV", "MAV_SYSID"))
        for name in (b"SYSID_THISMAV", b"MAV_SYSID"):
            gcs.send(M.MAVLink_param_request_read_message(1, 1, name, -1))
        assert (await sysid).param_value == 1
        home = gcs.expect("HOME_POSITION")
        assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_HOME_POSITION) == 0
        msg = await home
        assert abs(msg.latitude - round(HOME[0] * 1e7)) < 20
        assert abs(msg.altitude - HOME[2] * 1000) < 1000


async def test_takeoff_goto_land_disarm(backend: str) -> None:
    async with vehicle(backend) as gcs:
        await gcs.arm_and_takeoff(10.0)
        assert await gcs.command(M.MAV_CMD_NAV_LAND) == 0
        hb = await gcs.heartbeat_where(lambda m: not m.base_mode & ARMED, 120)
        assert hb.custom_mode == 9


async def test_arming_without_gps_is_refused_with_a_prearm_text(backend: str) -> None:
    async with vehicle(backend) as gcs:
        await gcs.wait_armable()
        # in GUIDED, which needs a position: ArduCopter arms in STABILIZE without GPS
        assert await gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 4) == M.MAV_RESULT_ACCEPTED
        # ArduPilot 4.7 calls it SIM_GPS1_ENABLE (the built-in simulator knows both names)
        gcs.send(M.MAVLink_param_set_message(1, 1, b"SIM_GPS_DISABLE", 1, 9))
        gcs.send(M.MAVLink_param_set_message(1, 1, b"SIM_GPS1_ENABLE", 0, 9))
        await gcs.wait("GPS_RAW_INT", lambda m: m.fix_type < 3, timeout_s=30)
        for _ in range(30):  # the EKF may take a while to notice
            text = gcs.expect("STATUSTEXT", lambda m: m.text.startswith(("PreArm", "Arm")))
            if await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED:
                break
            await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 0, 21196)
            text.cancel()
        else:
            raise AssertionError("armed without GPS")
        reason = (await text).text
        assert reason.startswith(("PreArm:", "Arm:"))


async def test_stabilize_arms_without_gps(backend: str) -> None:
    """ArduCopter checks GPS only for modes that need a position (and circle/polygon fences)."""
    async with vehicle(backend) as gcs:
        await gcs.wait_armable()
        assert await gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 0) == M.MAV_RESULT_ACCEPTED
        gcs.send(M.MAVLink_param_set_message(1, 1, b"SIM_GPS_DISABLE", 1, 9))
        gcs.send(M.MAVLink_param_set_message(1, 1, b"SIM_GPS1_ENABLE", 0, 9))
        await gcs.wait("GPS_RAW_INT", lambda m: m.fix_type < 3, timeout_s=30)
        assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
        await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 0, 21196)


async def test_short_mission_reports_each_item(backend: str) -> None:
    async with vehicle(backend) as gcs:
        items = [
            HOME_SLOT,
            (REL, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0.0, 0.0, 10.0),
            wp(30, 0, 10),
            wp(30, 30, 10),
            (REL, M.MAV_CMD_NAV_LAND, 0, 0, 0, 0, 0.0, 0.0, 0.0),
        ]
        assert await gcs.upload(items) == M.MAV_MISSION_ACCEPTED
        assert len(await gcs.download()) == 5
        await gcs.wait_armable()
        assert await gcs.set_mode(4) == 0
        assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0
        assert await gcs.command(M.MAV_CMD_MISSION_START) == 0
        await gcs.heartbeat_where(lambda m: not m.base_mode & ARMED, 180)
        # the final NAV_LAND is not reported: ArduCopter disarms on it
        assert gcs.reached == [1, 2, 3]


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


async def test_battery_low_failsafe_returns_home(backend: str) -> None:
    async with vehicle(backend) as gcs:
        await gcs.set_param("BATT_FS_LOW_ACT", 2)
        await gcs.arm_and_takeoff(10.0)
        await goto(gcs, 50, 0, 10)
        await gcs.set_param("BATT_LOW_VOLT", 13.0)
        await gcs.wait("STATUSTEXT", lambda m: "Battery 1 is low" in m.text, timeout_s=60)
        await gcs.heartbeat_where(lambda m: m.custom_mode == 6, 30)


async def test_circle_fence_breach_returns_home(backend: str) -> None:
    async with vehicle(backend) as gcs:
        for name, value in (("FENCE_TYPE", 2), ("FENCE_RADIUS", 40)):
            await gcs.set_param(name, value)
        await gcs.arm_and_takeoff(10.0)
        await goto(gcs, 120, 0, 10)
        await gcs.position(lambda m: m.lat > round(at(60, 0)[0] * 1e7), 60)
        await gcs.set_param("FENCE_ENABLE", 1)
        await gcs.heartbeat_where(lambda m: m.custom_mode == 6, 60)
        assert "Circle fence breached" in gcs.texts
