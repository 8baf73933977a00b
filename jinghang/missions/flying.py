"""Fly a plan on a vehicle of ``jinghang.flight`` from the command line's point of view
(``jinghang plan --fly``, the flight tests of the templates): the plan re-homed to the
vehicle and checked against its battery and its own flight limits, then flown by a
:class:`~jinghang.missions.run.MissionRun` (check, upload, start with ArduPilot's start retry,
follow) to completion (landed and disarmed), with a :class:`FlightReport` of what happened
and progress lines for a person.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from jinghang.flight.errors import VehicleTimeout
from jinghang.missions.estimate import Airframe, with_estimates
from jinghang.missions.formats.geojson import TrackPoint
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.progress import Phase, RunProgress
from jinghang.missions.run import START_ATTEMPTS as START_ATTEMPTS
from jinghang.missions.run import MissionRun
from jinghang.missions.safety import SafetyLimits
from jinghang.missions.vehicle_limits import read_vehicle_limits

if TYPE_CHECKING:
    from jinghang.flight import Vehicle, VehicleState

Progress = Callable[[str], None]


@dataclass
class FlightReport:
    """What happened: the items reached, the flown track, and how the flight ended.

    ``completed`` means the vehicle reached the mission's last waypoint and then landed and
    disarmed; a flight cut short (a failsafe, a pilot's landing) lands with it False.
    """

    item_count: int
    reached_seqs: list[int] = field(default_factory=list)
    track: list[TrackPoint] = field(default_factory=list)
    #: The mission item being flown at each track point (caller numbering), beside ``track``.
    track_seqs: list[int | None] = field(default_factory=list)
    max_relative_altitude_m: float = 0.0
    completed: bool = False
    wall_time_s: float = 0.0
    final_mode: str = ""

    @property
    def last_reached_seq(self) -> int | None:
        return max(self.reached_seqs) if self.reached_seqs else None


def _quiet(_: str) -> None:
    return None


async def upload_checked(
    vehicle: Vehicle,
    plan: MissionPlan,
    limits: SafetyLimits | None = None,
    no_fly: NoFlyZones | None = None,
    *,
    actor: str = "system",
) -> None:
    """Check ``plan`` (and that the vehicle has a camera if it takes photos); only if it
    passes, upload its mission (and fence and rally): a run's check and upload steps."""
    run = MissionRun(vehicle, plan, actor=actor, limits=limits, no_fly=no_fly)
    await run.check()
    await run.upload()


async def fly_plan(
    vehicle: Vehicle,
    plan: MissionPlan,
    limits: SafetyLimits | None = None,
    no_fly: NoFlyZones | None = None,
    *,
    timeout_s: float = 600.0,
    progress: Progress = _quiet,
    actor: str = "system",
    ready_timeout_s: float = 60.0,
    sample_interval_s: float = 0.25,
    airframe: Airframe | None = None,
) -> FlightReport:
    """Check, upload and fly ``plan`` until the vehicle has landed and disarmed.

    The checks run with the vehicle's own home (distances, energy, the legs out and back), its
    battery charge and its own flight limits (WPNAV_*, ANGLE_MAX, RTL and land settings, read
    from it unless ``airframe`` gives them), not what the plan assumed, so a drone standing far
    away, with a half-empty battery or slower than planned is refused before upload.
    """
    state = await vehicle.wait_until(_ready, timeout_s=ready_timeout_s)
    if airframe is None:
        airframe = Airframe(limits=await read_vehicle_limits(vehicle))
    limits = limits or SafetyLimits()
    if state.battery_pct is not None and state.battery_pct < limits.battery_pct:
        limits = replace(limits, battery_pct=state.battery_pct)
    if state.home is not None:
        plan = rehome(plan, (state.home.latitude_deg, state.home.longitude_deg,
                             state.home.altitude_amsl_m), airframe)
    else:
        plan = with_estimates(plan, airframe)
    run = MissionRun(vehicle, plan, actor=actor, limits=limits, no_fly=no_fly, say=progress)
    await run.check()
    await run.upload()
    progress(f"uploaded {len(plan.items)} items ({plan.distance_horizontal_m / 1000:.2f} km, "
             f"{plan.energy_pct:.0f}% battery from the vehicle's home)")
    report = FlightReport(item_count=len(plan.items))
    started = time.monotonic()
    state = await run.start()
    progress(f"armed and climbing, mode {state.mode}")
    last_seq: int | None = None
    try:
        async for sample in run.follow(poll_s=sample_interval_s,
                                       timeout_s=max(0.0, timeout_s - (time.monotonic()
                                                                       - started))):
            _record(report, sample, started)
            if sample.current_seq != last_seq and sample.current_seq is not None:
                last_seq = sample.current_seq
                progress(f"item {last_seq + 1}/{len(plan.items)}  mode {sample.state.mode}  "
                         f"alt {sample.state.relative_altitude_m:.0f} m  "
                         f"{sample.distance_to_go_m:.0f} m, {sample.time_to_go_s:.0f} s to "
                         f"{sample.to_go_target}")
            if sample.phase == Phase.LANDED:
                break
    except VehicleTimeout:
        report.wall_time_s = time.monotonic() - started
        raise VehicleTimeout(
            f"the mission did not complete in {timeout_s:g} s "
            f"(reached item {_last_reached(vehicle)} of {len(plan.items)})",
            field="timeout_s", value=timeout_s,
        ) from None
    report.reached_seqs = sorted(set(vehicle.state.mission_reached_seqs))
    report.final_mode = vehicle.state.mode
    report.wall_time_s = time.monotonic() - started
    nav = plan.nav_items()
    report.completed = not nav or nav[-1][0] in report.reached_seqs
    progress(f"landed and disarmed after {report.wall_time_s:.0f} s, mode {report.final_mode}"
             + ("" if report.completed else
                f"; the mission ended early (last item reached: {report.last_reached_seq})"))
    return report


def rehome(plan: MissionPlan, home: tuple[float, float, float],
           airframe: Airframe | None = None) -> MissionPlan:
    """``plan`` launched from ``home`` (lat, lon, alt AMSL), its estimates recomputed."""
    return with_estimates(plan.with_(home=home), airframe)


def _last_reached(vehicle: Vehicle) -> int | None:
    reached = vehicle.state.mission_reached_seqs
    return max(reached) if reached else None


def _ready(state: VehicleState) -> bool:
    return (
        state.gps_fix_type >= 3
        and not math.isnan(state.latitude_deg)
        and state.home is not None
        and state.ekf_ok is not False
    )


def _record(report: FlightReport, sample: RunProgress, started: float) -> None:
    state = sample.state
    if math.isnan(state.latitude_deg):
        return
    alt = 0.0 if math.isnan(state.relative_altitude_m) else state.relative_altitude_m
    report.max_relative_altitude_m = max(report.max_relative_altitude_m, alt)
    report.track_seqs.append(state.mission_current_seq)
    report.track.append(
        TrackPoint(time.monotonic() - started, state.latitude_deg, state.longitude_deg, alt)
    )
