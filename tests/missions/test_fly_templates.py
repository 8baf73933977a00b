"""Every one of the 33 templates, compiled on sample inputs around Weihai, checked, uploaded to
the simulator and flown to completion (landed and disarmed): one test case per template id,
with the ``backend`` fixture so the same cases fly real ArduPilot SITL when it is present.

The flights run concurrently: the first case of a backend flies every selected template at
once on one event loop (one simulator and one Fleet each, at high speedup) and keeps the
outcomes; each case then asserts its own template's outcome.

Flown on real ArduPilot SITL (ArduCopter built in /work/sitl, JINGHANG_SITL_BINARY) on
2026-11-27: all 33 templates and the orbit-radius test complete, in about 5 minutes at 10x,
four SITL instances at a time.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

import pytest
from shapely.geometry import Polygon
from shapely.ops import unary_union

from jinghang.flight import Fleet
from jinghang.missions.camera import CAMERAS
from jinghang.missions.catalog import load_catalog
from jinghang.missions.compile import compile_template
from jinghang.missions.flying import FlightReport, fly_plan
from jinghang.missions.geo import LocalFrame, distance_m
from jinghang.missions.items import NAV_COMMANDS_WITH_POSITION
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan, has_position
from jinghang.missions.safety import SafetyLimits
from jinghang.simulator import SimulatorServer, start_vehicle
from tests.missions import weihai
from tests.missions.coverage import footprint

SPEEDUP = {"builtin": 40.0, "sitl": 10.0}
#: How many flights run at once (SITL processes are heavy).
CONCURRENCY = {"builtin": 12, "sitl": 4}
#: ArduPilot disarms a drone left DISARM_DELAY seconds armed on the ground: at 40x speedup
#: the default 10 s is a quarter of a wall second between arming and AUTO. The maximum, 127,
#: gives a loaded CI machine about as long as a real link gets.
VEHICLE_PARAMS = {"DISARM_DELAY": 127.0}
#: Wall-clock allowance for one flight, on top of its simulated time at speedup.
SLACK_S = 120.0

TEST_NAME = "test_template_flies_to_completion"
COVERAGE_TEST = "test_photos_taken_in_flight_cover_the_survey_area"


@dataclass
class Outcome:
    plan: MissionPlan
    report: FlightReport | None = None
    error: BaseException | None = None
    #: The photos the simulated camera took (builtin only).
    photos: list[Any] | None = None
    #: CAMERA_FEEDBACK messages the vehicle sent in flight: one per photo (either backend).
    photo_reports: int = 0


_OUTCOMES: dict[str, dict[str, Outcome]] = {}


def compiled(template_id: str) -> MissionPlan:
    template = load_catalog().get(template_id)
    return compile_template(template_id, weihai.inputs_for(template),
                            weihai.QUICK_PARAMS.get(template_id))


async def _fly_on(connection: str, plan: MissionPlan, speedup: float,
                  zones: NoFlyZones) -> tuple[FlightReport, int]:
    """The flight's report and how many photos the vehicle reported (CAMERA_FEEDBACK)."""
    photos = 0

    def counted(_vehicle: Any, message: Any) -> None:
        nonlocal photos
        if message.get_type() == "CAMERA_FEEDBACK":
            photos += 1

    async with Fleet() as fleet:
        fleet.on_update = counted
        await fleet.connect(connection)
        vehicle = await fleet.wait_vehicle(timeout_s=30)
        report = await fly_plan(
            vehicle, plan, SafetyLimits(), zones,
            timeout_s=plan.flight_time_s * 2 / speedup + SLACK_S, actor="test",
        )
        return report, photos


async def _fly_one(backend: str, plan: MissionPlan, gate: asyncio.Semaphore,
                   zones: NoFlyZones) -> Outcome:
    assert plan.home is not None
    home = (plan.home[0], plan.home[1], plan.home[2], 0.0)
    speedup = SPEEDUP[backend]
    async with gate:
        try:
            if backend == "builtin":  # keep the simulator in hand to read its camera
                async with SimulatorServer(home=home, speedup=speedup, tcp_port=0,
                                           params=VEHICLE_PARAMS) as server:
                    report, reported = await _fly_on(server.address, plan, speedup, zones)
                    return Outcome(plan, report, photos=list(server.vehicle.camera_triggers),
                                   photo_reports=reported)
            # real SITL: a free instance (its ports) each, never the fixed 5760
            async with start_vehicle(
                backend, home=home, speedup=speedup, instance=None,  # type: ignore[arg-type]
                params=VEHICLE_PARAMS,
            ) as conn:
                report, reported = await _fly_on(conn, plan, speedup, zones)
                return Outcome(plan, report, photo_reports=reported)
        except Exception as exc:  # kept and raised by that template's own test case
            return Outcome(plan, error=exc)


async def _fly_all(backend: str, template_ids: list[str]) -> dict[str, Outcome]:
    zones = NoFlyZones.weihai_sample()
    gate = asyncio.Semaphore(CONCURRENCY[backend])
    plans = {tid: compiled(tid) for tid in template_ids}
    async with asyncio.TaskGroup() as tg:
        tasks = {tid: tg.create_task(_fly_one(backend, plans[tid], gate, zones))
                 for tid in template_ids}
    return {tid: task.result() for tid, task in tasks.items()}


def outcomes(request: pytest.FixtureRequest, backend: str) -> dict[str, Outcome]:
    """Fly every template this session selected (once per backend) and keep the outcomes."""
    if backend not in _OUTCOMES:
        selected = sorted({
            item.callspec.params["template_id"]
            for item in request.session.items
            if getattr(item, "originalname", "") in (TEST_NAME, COVERAGE_TEST)
            and item.callspec.params.get("backend", "builtin") == backend
        })
        _OUTCOMES[backend] = asyncio.run(_fly_all(backend, selected))
    return _OUTCOMES[backend]


def _last_nav_seq(plan: MissionPlan) -> int:
    return max(seq for seq, item in enumerate(plan.items)
               if item.command in NAV_COMMANDS_WITH_POSITION and has_position(item))


@pytest.mark.timeout(1800)  # the first case of a backend flies them all (SITL: 4 at a time)
@pytest.mark.parametrize("template_id", weihai.template_ids())
def test_template_flies_to_completion(request: pytest.FixtureRequest, backend: str,
                                      template_id: str) -> None:
    outcome = outcomes(request, backend)[template_id]
    if outcome.error is not None:
        raise outcome.error
    report, plan = outcome.report, outcome.plan
    assert report is not None and report.completed
    # every waypoint was flown: the last positioned item was reached
    assert _last_nav_seq(plan) in report.reached_seqs
    # it flew at the planned altitudes, never above the ceiling
    planned_top = max(it.altitude_m for _, it in plan.nav_items())
    assert report.max_relative_altitude_m == pytest.approx(planned_top, abs=3.0)
    assert report.max_relative_altitude_m <= SafetyLimits().altitude_ceiling_m + 1
    # and came home: the last sampled position is at home, on the ground
    last = report.track[-1]
    assert plan.home is not None
    assert distance_m((last.latitude_deg, last.longitude_deg), plan.home[:2]) < 10.0
    assert last.relative_altitude_m < 2.0
    assert not math.isnan(last.latitude_deg)
    # a plan with photos took them: the vehicle reported about as many as were planned
    if plan.photo_count:
        assert outcome.photo_reports == pytest.approx(plan.photo_count, rel=0.2, abs=2), (
            f"{outcome.photo_reports} photos reported, {plan.photo_count} planned")


def _nadir_surveys() -> list[str]:
    out = []
    for template in load_catalog():
        defaults = {**template.defaults}
        if template.stages[0].pattern == "area_survey" and defaults.get(
            "gimbal_pitch_deg", -90) == -90 and not defaults.get("crosshatch"):
            out.append(template.id)
    return sorted(out)


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("template_id", _nadir_surveys())
def test_photos_taken_in_flight_cover_the_survey_area(request: pytest.FixtureRequest,
                                                      template_id: str) -> None:
    """The photos the simulated camera actually took, as footprints at the altitude and
    heading of each shot, cover at least 99% of the survey polygon."""
    outcome = outcomes(request, "builtin")[template_id]
    if outcome.error is not None:
        raise outcome.error
    assert outcome.photos
    plan = outcome.plan
    area = [tuple(p) for p in plan.inputs["area"]]
    frame = LocalFrame.around(area)
    camera = CAMERAS[str(plan.params.get("camera", "phantom4pro"))]
    prints = []
    for shot in outcome.photos:
        across, along = camera.footprint_m(shot.relative_altitude_m)
        x, y = frame.to_xy(shot.latitude_deg, shot.longitude_deg)
        prints.append(footprint(x, y, shot.heading_deg, across, along))
    polygon = Polygon(frame.many_to_xy(area))
    covered = unary_union(prints).intersection(polygon).area / polygon.area
    assert covered >= 0.99, f"{len(outcome.photos)} photos cover {covered:.3%}"
    # and the camera fired about as often as the plan said it would
    assert len(outcome.photos) == pytest.approx(plan.photo_count, rel=0.15)


@pytest.mark.timeout(300)
async def test_orbit_is_flown_on_its_radius(backend: str) -> None:
    """CTY-04 crowd watch: the flown track round the crowd stays within 3 m of the radius."""
    radius_m = 50.0
    plan = compile_template("CTY-04", {"point": weihai.POINT, "home": weihai.HOME},
                            {"radius_m": radius_m, "turns": 1})
    nav = plan.nav_items()
    first_ring_seq, last_ring_seq = nav[0][0], nav[-1][0]
    assert plan.home is not None
    home = (plan.home[0], plan.home[1], plan.home[2], 0.0)
    where = {} if backend == "builtin" else {"instance": None}
    async with start_vehicle(backend, home=home, speedup=20.0, **where) as conn, Fleet() as fleet:
        await fleet.connect(conn)
        vehicle = await fleet.wait_vehicle(timeout_s=30)
        report = await fly_plan(vehicle, plan, timeout_s=240, sample_interval_s=0.02)
    on_ring = [
        distance_m((p.latitude_deg, p.longitude_deg), weihai.POINT)
        for p, seq in zip(report.track, report.track_seqs, strict=True)
        if seq is not None and first_ring_seq < seq <= last_ring_seq
    ]
    assert len(on_ring) >= 20
    assert all(abs(d - radius_m) <= 3.0 for d in on_ring), (min(on_ring), max(on_ring))
