"""A plan that fails a safety check is refused with the field named, and nothing reaches the
vehicle: the simulator's mission stays empty. Also ``jinghang plan ... --fly`` end to end."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from jinghang.cli import main
from jinghang.flight import Fleet, Vehicle
from jinghang.missions.compile import compile_template
from jinghang.missions.errors import SafetyError
from jinghang.missions.flying import fly_plan, upload_checked
from jinghang.missions.items import MissionType
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import SafetyLimits
from jinghang.simulator import SimulatorServer
from tests.missions import weihai

HOME = (weihai.HOME[0], weihai.HOME[1], weihai.HOME[2], 0.0)


def _bad_plans() -> list[tuple[str, MissionPlan, SafetyLimits, str]]:
    field = weihai.FIELD
    return [
        ("ceiling", compile_template("SAF-03", {"point": weihai.POINT}, {"altitude_m": 140}),
         SafetyLimits(), "items[0].altitude_m"),
        ("no-fly", compile_template("SAF-03", {"point": (37.187, 122.229),
                                               "home": (37.13, 122.229, 0)}),
         SafetyLimits(), "items["),
        ("lanes", compile_template("RUR-01", {"area": field}, {"lane_spacing_m": 1.5}),
         SafetyLimits(), "lane_spacing_m"),
        ("radius", compile_template("CTY-04", {"point": weihai.POINT}, {"radius_m": 3}),
         SafetyLimits(), "radius_m"),
        ("items", compile_template("RUR-01", {"area": field}), SafetyLimits(max_items=10),
         "items"),
        ("energy", compile_template("SAF-07", {"point": weihai.POINT}, {"duration_s": 1700}),
         SafetyLimits(), "energy_pct"),
    ]


CASES = _bad_plans()


@pytest.fixture
async def vehicle() -> AsyncIterator[tuple[SimulatorServer, Vehicle]]:
    async with SimulatorServer(home=HOME, speedup=10.0, tcp_port=0) as server:
        async with Fleet() as fleet:
            await fleet.connect(server.address)
            yield server, await fleet.wait_vehicle(timeout_s=15)


@pytest.mark.parametrize(("name", "plan", "limits", "field"), CASES, ids=[c[0] for c in CASES])
async def test_refused_plan_uploads_nothing(vehicle, name, plan, limits, field) -> None:
    server, v = vehicle
    with pytest.raises(SafetyError) as info:
        await upload_checked(v, plan, limits, NoFlyZones.weihai_sample())
    assert info.value.field is not None and info.value.field.startswith(field)
    assert info.value.limit is not None
    assert await v.download_mission(MissionType.MISSION) == []
    assert len(server.vehicle.mission_items) <= 1  # only ArduPilot's home at 0
    assert not v.state.armed


async def test_half_empty_battery_is_refused_before_upload(vehicle) -> None:
    server, v = vehicle
    battery = server.vehicle.physics.battery
    battery.consumed_mah = 0.6 * battery.capacity_mah  # 40% left
    await v.wait_until(lambda s: s.battery_pct is not None and s.battery_pct <= 45,
                       timeout_s=10)
    plan = compile_template("SAF-07", {"point": weihai.POINT, "home": weihai.HOME},
                            {"duration_s": 400})
    assert 20 < plan.energy_pct < 60  # a full battery would fly it
    with pytest.raises(SafetyError) as info:
        await fly_plan(v, plan, SafetyLimits(), None, timeout_s=60)
    assert info.value.field == "energy_pct"
    assert info.value.limit is not None and float(info.value.limit) <= 25
    assert await v.download_mission(MissionType.MISSION) == []


# -- the command line, end to end --------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_process() -> Iterator[str]:
    """``jinghang sim`` in its own process near the SAF-01 datum of the README."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jinghang.cli", "sim", "--ephemeral-ports", "--speedup", "40",
         "--home", "37.5195,122.0495,12,0"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        address = line.split()[2]
        assert address.startswith("tcp:127.0.0.1:")
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _mission_on(address: str) -> list:  # type: ignore[type-arg]
    async with Fleet() as fleet:
        await fleet.connect(address)
        v = await fleet.wait_vehicle(timeout_s=15)
        return await v.download_mission(MissionType.MISSION)


def test_cli_refusal_uploads_nothing(sim_process: str, capsys) -> None:
    code = main(["plan", "SAF-01", "--point", "37.52,122.05", "--param", "altitude_m=150",
                 "--fly", sim_process])
    assert code == 2
    assert "field: items[0].altitude_m" in capsys.readouterr().err
    assert asyncio.run(_mission_on(sim_process)) == []


def test_cli_checks_from_the_vehicles_own_home(sim_process: str, capsys) -> None:
    # planned as if launched at the datum, but the drone stands 9 km away: refused
    code = main(["plan", "SAF-02", "--point", "37.60,122.05", "--fly", sim_process])
    assert code == 2
    assert "field: energy_pct" in capsys.readouterr().err
    assert asyncio.run(_mission_on(sim_process)) == []


def test_cli_plan_and_fly_to_completion(sim_process: str, capsys, tmp_path) -> None:
    track = tmp_path / "flown.geojson"
    code = main(["plan", "SAF-01", "--point", "37.52,122.05", "--param", "legs=6",
                 "--fly", sim_process, "--track", str(track)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "uploaded" in out and "armed" in out
    assert "landed and disarmed" in out and "completed" in out
    assert len(asyncio.run(_mission_on(sim_process))) > 0
    feature = json.loads(track.read_text())
    coords = feature["geometry"]["coordinates"]
    assert len(coords) > 5 and max(c[2] for c in coords) > 35  # flew at the 40 m of SAF-01


async def test_a_survey_is_refused_when_the_vehicle_has_no_camera(vehicle) -> None:
    """ArduPilot's CAM1_TYPE defaults to 0: the survey would fly its lanes and take no photo."""
    from jinghang.missions.camera_ready import CameraNotConfigured

    _server, v = vehicle
    plan = compile_template("RUR-01", {"area": weihai.FIELD})
    await v.params.set("CAM1_TYPE", 0)
    with pytest.raises(CameraNotConfigured) as info:
        await upload_checked(v, plan, SafetyLimits(), None)
    assert info.value.field == "CAM1_TYPE" and info.value.code == "camera.not_configured"
    assert await v.download_mission(MissionType.MISSION) == []
    await v.params.set("CAM1_TYPE", 1)  # a servo-triggered camera: the same plan goes up
    await upload_checked(v, plan, SafetyLimits(), None)
    assert len(await v.download_mission(MissionType.MISSION)) == len(plan.items)
