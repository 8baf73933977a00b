"""The flight core flying the simulator over real TCP sockets.

Each test takes the ``backend`` fixture: it flies the built-in simulator, and real ArduPilot
SITL when JINGHANG_SITL_BINARY names an arducopter binary (otherwise that case is skipped).
"""

from __future__ import annotations

import math

import pytest

from jinghang.events import EventBus
from jinghang.flight import ArmingRefused
from jinghang.flight.errors import ParameterError
from jinghang.missions.items import Cmd, Frame, MissionItem, MissionType
from tests.flight.simulated import HOME, connected_vehicle, disable_gps, take_off

pytestmark = pytest.mark.sitl


def offset(lat_deg: float, lon_deg: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (
        lat_deg + north_m / 111_320.0,
        lon_deg + east_m / (111_320.0 * math.cos(math.radians(lat_deg))),
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = (lat2 - lat1) * 111_320.0
    east = (lon2 - lon1) * 111_320.0 * math.cos(math.radians(lat1))
    return math.hypot(north, east)


async def test_take_off_go_to_land_and_auto_disarm(backend: str) -> None:
    bus = EventBus()
    async with bus.subscribe("command") as commands:
        async with connected_vehicle(backend, bus=bus) as (_, vehicle):
            await take_off(vehicle, 20.0)
            target = offset(HOME[0], HOME[1], 60.0, 40.0)
            await vehicle.goto(*target, 20.0, actor="test-pilot")
            await vehicle.wait_until(
                lambda s: distance_m(s.latitude_deg, s.longitude_deg, *target) < 3.0,
                timeout_s=90,
            )
            await vehicle.land(actor="test-pilot")
            state = await vehicle.wait_until(lambda s: not s.armed, timeout_s=120)
            assert state.relative_altitude_m < 1.0
            assert distance_m(state.latitude_deg, state.longitude_deg, *target) < 5.0
        names = []
        while not commands.queue.empty():
            event = (await commands.get()).data
            names.append(event["command"])
            assert event["actor"] == "test-pilot" and event["accepted"]
    assert names == ["takeoff", "goto", "land"]


def long_mission(count: int) -> list[MissionItem]:
    items = [MissionItem(Cmd.NAV_TAKEOFF, altitude_m=25.0)]
    for i in range(1, count):
        if i % 50 == 0:
            items.append(MissionItem(Cmd.DO_CHANGE_SPEED, frame=Frame.MISSION, param1=1,
                                     param2=6.0, param3=-1))
            continue
        lat, lon = offset(HOME[0], HOME[1], (i % 20) * 10.0, (i // 20) * 10.0)
        items.append(MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=lat, longitude_deg=lon,
                                 altitude_m=25.0 + i % 5))
    return items


async def test_upload_300_items_and_download_identical(backend: str) -> None:
    async with connected_vehicle(backend, ready=False) as (_, vehicle):
        items = long_mission(300)
        await vehicle.upload_mission(items, actor="planner")
        back = await vehicle.download_mission()
        assert len(back) == 300
        for sent, got in zip(items, back, strict=True):
            assert got.same_as(sent), (sent, got)


async def test_auto_mission_flies_to_the_end_reporting_every_waypoint(backend: str) -> None:
    bus = EventBus()
    waypoints = [offset(HOME[0], HOME[1], n, e) for n, e in ((40, 0), (40, 40), (0, 40))]
    items = [MissionItem(Cmd.NAV_TAKEOFF, altitude_m=15.0)]
    items += [MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=lat, longitude_deg=lon, altitude_m=15.0)
              for lat, lon in waypoints]
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, frame=Frame.MISSION))
    async with bus.subscribe("mission.progress") as progress:
        async with connected_vehicle(backend, bus=bus) as (_, vehicle):
            await vehicle.upload_mission(items)
            await vehicle.start_mission(actor="dispatcher")
            await vehicle.wait_until(lambda s: s.armed and s.relative_altitude_m > 5, 60)
            state = await vehicle.wait_until(lambda s: not s.armed, timeout_s=180)
            assert distance_m(state.latitude_deg, state.longitude_deg, HOME[0], HOME[1]) < 5
        reached, current = set(), set()
        while not progress.queue.empty():
            event = (await progress.get()).data
            (reached if event["event"] == "item_reached" else current).add(event["seq"])
    assert {1, 2, 3} <= reached  # every waypoint, in the caller's numbering (home hidden)
    assert {1, 2, 3, 4} <= current
    assert all(seq >= 0 for seq in reached | current)


async def test_pause_holds_position_and_resume_continues(backend: str) -> None:
    far = offset(HOME[0], HOME[1], 300.0, 0.0)
    async with connected_vehicle(backend) as (_, vehicle):
        await take_off(vehicle, 15.0)
        await vehicle.goto(*far, 15.0)
        await vehicle.wait_until(lambda s: s.ground_speed_m_s > 2.0, timeout_s=30)
        await vehicle.pause(actor="pilot")
        assert vehicle.state.mode in ("BRAKE", "LOITER")
        stopped = await vehicle.wait_until(lambda s: s.ground_speed_m_s < 0.3, timeout_s=30)
        held = (stopped.latitude_deg, stopped.longitude_deg)
        await vehicle.resume(actor="pilot")
        assert vehicle.state.mode == "GUIDED"
        await vehicle.wait_until(
            lambda s: distance_m(s.latitude_deg, s.longitude_deg, *held) > 20, timeout_s=60
        )


async def test_rtl_comes_home_and_lands(backend: str) -> None:
    async with connected_vehicle(backend) as (_, vehicle):
        try:  # ArduPilot 4.7+ keeps the RTL altitude in metres, 4.5/4.6 in centimetres
            await vehicle.params.set("RTL_ALT_M", 20.0)
        except ParameterError:
            await vehicle.params.set("RTL_ALT", 2000.0)
        await take_off(vehicle, 10.0)
        await vehicle.goto(*offset(HOME[0], HOME[1], 50.0, -30.0), 10.0)
        await vehicle.wait_until(
            lambda s: distance_m(s.latitude_deg, s.longitude_deg, HOME[0], HOME[1]) > 40, 60
        )
        await vehicle.rtl(actor="pilot")
        await vehicle.wait_until(lambda s: s.relative_altitude_m > 18.0, timeout_s=60)
        state = await vehicle.wait_until(lambda s: not s.armed, timeout_s=180)
        assert distance_m(state.latitude_deg, state.longitude_deg, HOME[0], HOME[1]) < 5


async def test_battery_failsafe_returns_then_lands(backend: str) -> None:
    async with connected_vehicle(backend) as (_, vehicle):
        for name, value in (("BATT_LOW_VOLT", 10.5), ("BATT_FS_LOW_ACT", 2),
                            ("BATT_CRT_VOLT", 10.0), ("BATT_FS_CRT_ACT", 1),
                            ("BATT_LOW_TIMER", 1)):
            await vehicle.params.set(name, value)
        await take_off(vehicle, 15.0)
        await vehicle.goto(*offset(HOME[0], HOME[1], 100.0, 0.0), 15.0)
        await vehicle.params.set("SIM_BATT_VOLTAGE", 10.3)
        await vehicle.wait_until(lambda s: s.mode == "RTL", timeout_s=60)
        await vehicle.params.set("SIM_BATT_VOLTAGE", 9.6)
        await vehicle.wait_until(lambda s: s.mode == "LAND", timeout_s=60)
        texts = " ".join(t.text for t in vehicle.state.status_texts).lower()
        assert "battery" in texts


async def test_polygon_fence_breach_triggers_rtl(backend: str) -> None:
    corners = [offset(HOME[0], HOME[1], n, e) for n, e in
               ((-60, -60), (-60, 60), (60, 60), (60, -60))]
    fence = [MissionItem(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, frame=Frame.GLOBAL,
                         param1=len(corners), latitude_deg=lat, longitude_deg=lon,
                         mission_type=MissionType.FENCE) for lat, lon in corners]
    async with connected_vehicle(backend) as (_, vehicle):
        await vehicle.upload_mission(fence, MissionType.FENCE)
        assert len(await vehicle.download_mission(MissionType.FENCE)) == 4
        await vehicle.params.set("FENCE_TYPE", 4)
        await vehicle.params.set("FENCE_ACTION", 1)
        await take_off(vehicle, 15.0)
        # ArduCopter refuses GUIDED targets outside an enabled fence, so fly out first and
        # then enable it: the vehicle is in breach at once
        await vehicle.goto(*offset(HOME[0], HOME[1], 100.0, 0.0), 15.0)
        await vehicle.wait_until(
            lambda s: distance_m(s.latitude_deg, s.longitude_deg, HOME[0], HOME[1]) > 80, 60
        )
        await vehicle.params.set("FENCE_ENABLE", 1)
        await vehicle.wait_until(lambda s: s.mode == "RTL", timeout_s=60)
        await vehicle.wait_until(
            lambda s: distance_m(s.latitude_deg, s.longitude_deg, HOME[0], HOME[1]) < 50, 90
        )


async def test_arming_without_gps_is_refused_with_the_reason(backend: str) -> None:
    async with connected_vehicle(backend) as (_, vehicle):
        # GUIDED needs a position, so enter it first (ArduCopter checks GPS only for such modes)
        await vehicle.set_mode("GUIDED")
        await disable_gps(vehicle)
        await vehicle.wait_until(lambda s: s.gps_fix_type < 3, timeout_s=30)
        with pytest.raises(ArmingRefused) as caught:
            await vehicle.arm(actor="pilot")
        assert caught.value.reasons, "the refusal carries the vehicle's pre-arm reasons"
        assert any("gps" in r.lower() or "fix" in r.lower() for r in caught.value.reasons)
        assert not vehicle.state.armed
