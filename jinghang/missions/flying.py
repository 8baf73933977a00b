"""Fly a checked plan on a vehicle of ``jinghang.flight``: the safety checks first (nothing is
uploaded when one fails), then upload (mission, and fence and rally when the plan has them),
arm, AUTO, and follow the mission to completion (landed and disarmed), reporting progress.

This is the only module of ``jinghang.missions`` that talks to a vehicle; the CLI's
``plan --fly`` and the flight tests of the templates use it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from jinghang.errors import FlightError
from jinghang.flight.errors import CommandTimeout, VehicleTimeout
from jinghang.missions.camera_ready import check_camera
from jinghang.missions.estimate import Airframe, with_estimates
from jinghang.missions.formats.geojson import TrackPoint
from jinghang.missions.items import MissionType
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import SafetyLimits, check_plan
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
    passes, upload its mission (and fence and rally).

    Lost, repeated and out-of-order items (and ArduPilot's INVALID_SEQUENCE NAK for a stray
    item) are handled by the mission protocol in ``jinghang.flight``.
    """
    check_plan(plan, limits, no_fly)
    await check_camera(vehicle, plan)
    for items, kind in ((plan.items, MissionType.MISSION), (plan.fence, MissionType.FENCE),
                        (plan.rally, MissionType.RALLY)):
        if not items and kind != MissionType.MISSION:
            continue
        await vehicle.upload_mission(items, kind, actor=actor)


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
    await upload_checked(vehicle, plan, limits, no_fly, actor=actor)
    progress(f"uploaded {len(plan.items)} items ({plan.distance_horizontal_m / 1000:.2f} km, "
             f"{plan.energy_pct:.0f}% battery from the vehicle's home)")
    report = FlightReport(item_count=len(plan.items))
    started = time.monotonic()
    state = await _start_and_leave_the_ground(vehicle, actor, progress)
    progress(f"armed and climbing, mode {state.mode}")
    last_seq: int | None = None
    deadline = started + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            report.wall_time_s = time.monotonic() - started
            raise VehicleTimeout(
                f"the mission did not complete in {timeout_s:g} s "
                f"(reached item {report.last_reached_seq} of {len(plan.items)})",
                field="timeout_s", value=timeout_s,
            )
        try:
            state = await vehicle.wait_until(
                _changed_from(vehicle.state), timeout_s=min(remaining, sample_interval_s)
            )
        except VehicleTimeout:  # nothing changed: sample the track, wait on
            state = vehicle.state
        _record(report, state, started)
        if state.mission_current_seq != last_seq and state.mission_current_seq is not None:
            last_seq = state.mission_current_seq
            progress(f"item {last_seq + 1}/{len(plan.items)}  mode {state.mode}  "
                     f"alt {state.relative_altitude_m:.0f} m")
        if not state.armed:
            break
    report.reached_seqs = sorted(set(vehicle.state.mission_reached_seqs))
    report.final_mode = vehicle.state.mode
    report.wall_time_s = time.monotonic() - started
    nav = plan.nav_items()
    report.completed = not nav or nav[-1][0] in report.reached_seqs
    progress(f"landed and disarmed after {report.wall_time_s:.0f} s, mode {report.final_mode}"
             + ("" if report.completed else
                f"; the mission ended early (last item reached: {report.last_reached_seq})"))
    return report


#: How often to start the mission when the vehicle disarms on the ground before taking off
#: (ArduPilot disarms after DISARM_DELAY seconds armed on the ground; a slow link can let
#: that pass between arming and AUTO, more so at simulator speedup).
START_ATTEMPTS = 3


async def _start_and_leave_the_ground(
    vehicle: Vehicle, actor: str, progress: Progress
) -> VehicleState:
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            await vehicle.start_mission(actor=actor)
            state = await vehicle.wait_until(
                lambda s: not s.armed or s.relative_altitude_m > 1.0, timeout_s=30.0
            )
        except (CommandTimeout, VehicleTimeout) as exc:
            if attempt == START_ATTEMPTS:
                raise
            progress(f"starting the mission failed ({exc.message}); trying again")
            continue
        if state.armed:
            return state
        progress(f"the vehicle disarmed on the ground (attempt {attempt}); starting again")
    raise FlightError(
        f"the vehicle disarmed on the ground {START_ATTEMPTS} times instead of taking off",
        field="armed", value=False, limit=f"{START_ATTEMPTS} attempts",
        code="vehicle.disarmed_on_ground", params={"attempts": START_ATTEMPTS},
    )


def rehome(plan: MissionPlan, home: tuple[float, float, float],
           airframe: Airframe | None = None) -> MissionPlan:
    """``plan`` launched from ``home`` (lat, lon, alt AMSL), its estimates recomputed."""
    return with_estimates(plan.with_(home=home), airframe)


def _changed_from(before: VehicleState) -> Callable[[VehicleState], bool]:
    seq, armed, mode = before.mission_current_seq, before.armed, before.mode

    def changed(s: VehicleState) -> bool:
        return s.mission_current_seq != seq or s.armed != armed or s.mode != mode

    return changed


def _ready(state: VehicleState) -> bool:
    return (
        state.gps_fix_type >= 3
        and not math.isnan(state.latitude_deg)
        and state.home is not None
        and state.ekf_ok is not False
    )


def _record(report: FlightReport, state: VehicleState, started: float) -> None:
    if math.isnan(state.latitude_deg):
        return
    alt = 0.0 if math.isnan(state.relative_altitude_m) else state.relative_altitude_m
    report.max_relative_altitude_m = max(report.max_relative_altitude_m, alt)
    report.track_seqs.append(state.mission_current_seq)
    report.track.append(
        TrackPoint(time.monotonic() - started, state.latitude_deg, state.longitude_deg, alt)
    )
