"""Turning a playbook (or a patrol's template) and a place into a checked mission plan.

Pure: :func:`plan_incident_flight` compiles the playbook's first flight with
``jinghang.missions`` at the incident's point (a search box round the point stands in for an
area the reporter did not draw), from the chosen drone's home, and runs the safety checks
(altitude ceiling, no-fly zones, energy with the drone's battery and the reserve) before
anything leaves for a vehicle. A :class:`~jinghang.missions.errors.SafetyError` (or another
``MissionError``) names the field at fault.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jinghang.dispatch.playbooks import Playbook
from jinghang.missions.catalog import Stage
from jinghang.missions.compile import compile_stages, compile_template
from jinghang.missions.estimate import Airframe
from jinghang.missions.items import NAV_COMMANDS_WITH_POSITION, Cmd, MissionItem
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import SafetyLimits, check_plan

LatLon = tuple[float, float]
#: Patterns that cannot fly on a bare point; without their input they fall back to an orbit.
_NEEDS_ROUTE = {"corridor": "route", "waypoint_loop": "points"}


@dataclass(frozen=True)
class DroneProfile:
    """What planning needs about the drone that will fly: its home, battery and airframe."""

    system_id: int
    home: tuple[float, float, float]
    battery_pct: float
    cruise_speed_m_s: float = 10.0
    endurance_s: float = 1800.0

    def airframe(self) -> Airframe:
        return Airframe(cruise_speed_m_s=self.cruise_speed_m_s, endurance_s=self.endurance_s)


@dataclass(frozen=True)
class Limits:
    """The operator-wide limits every plan is checked against."""

    altitude_ceiling_m: float = 120.0
    reserve_pct: float = 20.0
    #: A drone that lands farther than this from its base is ``landed_away``.
    landed_away_m: float = 50.0

    def for_drone(self, drone: DroneProfile) -> SafetyLimits:
        return SafetyLimits(
            altitude_ceiling_m=self.altitude_ceiling_m,
            battery_pct=drone.battery_pct,
            reserve_pct=self.reserve_pct,
        )


def search_box(point: LatLon, side_m: float) -> list[list[float]]:
    """A square of ``side_m`` centred on ``point`` as [[lat, lon], ...]."""
    half_lat = side_m / 2 / 111_320.0
    half_lon = side_m / 2 / (111_320.0 * max(0.01, math.cos(math.radians(point[0]))))
    lat, lon = point
    return [
        [lat - half_lat, lon - half_lon],
        [lat - half_lat, lon + half_lon],
        [lat + half_lat, lon + half_lon],
        [lat + half_lat, lon - half_lon],
    ]


def incident_inputs(
    playbook: Playbook,
    point: LatLon,
    area: list[list[float]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The pattern inputs of an incident: its point, its area (or a search box)."""
    inputs: dict[str, Any] = {"point": [point[0], point[1]]}
    if area:
        inputs["area"] = [list(p) for p in area]
    elif playbook.search_box_m:
        inputs["area"] = search_box(point, float(playbook.search_box_m))
    for key, value in (extra or {}).items():
        if value:
            inputs[key] = value
    return inputs


def _stages(playbook: Playbook, inputs: Mapping[str, Any]) -> list[Stage]:
    out = []
    for stage in playbook.stages:
        needed = _NEEDS_ROUTE.get(stage.pattern)
        if needed and not inputs.get(needed) and not inputs.get("route"):
            params = {"radius_m": max(playbook.standoff_m, 60.0), "turns": 2, "video": True}
            out.append(Stage("orbit", "point", params))
        else:
            out.append(Stage(stage.pattern, stage.at, dict(stage.params)))
    return out


def plan_incident_flight(
    playbook: Playbook,
    point: LatLon,
    drone: DroneProfile,
    *,
    limits: Limits,
    no_fly: NoFlyZones | None = None,
    area: list[list[float]] | None = None,
    extra_inputs: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
) -> MissionPlan:
    """The playbook's first flight at ``point`` from ``drone``'s home, safety-checked."""
    inputs = incident_inputs(playbook, point, area, extra_inputs)
    inputs["home"] = list(drone.home)
    plan = compile_stages(
        _stages(playbook, inputs),
        inputs,
        [{"altitude_m": playbook.altitude_m}, dict(params or {})],
        template_id=playbook.template_id,
        pattern_label=playbook.first_pattern,
        airframe=drone.airframe(),
    )
    check_plan(plan, limits.for_drone(drone), no_fly)
    return plan


def plan_template_flight(
    template_id: str,
    inputs: Mapping[str, Any],
    drone: DroneProfile,
    *,
    limits: Limits,
    no_fly: NoFlyZones | None = None,
    params: Mapping[str, Any] | None = None,
) -> MissionPlan:
    """A catalog template (a patrol) from ``drone``'s home, safety-checked."""
    full = {**dict(inputs), "home": list(drone.home)}
    plan = compile_template(template_id, full, params, airframe=drone.airframe())
    check_plan(plan, limits.for_drone(drone), no_fly)
    return plan


def scene_seq(items: list[MissionItem]) -> int:
    """The index of the first positioned item after takeoff: reaching it means on scene."""
    for seq, item in enumerate(items):
        if item.command == Cmd.NAV_TAKEOFF:
            continue
        if item.command in NAV_COMMANDS_WITH_POSITION and (item.latitude_deg or item.longitude_deg):
            return seq
    return 0


def return_seq(items: list[MissionItem]) -> int:
    """The index of the final RTL or LAND: reaching it means returning."""
    for seq in range(len(items) - 1, -1, -1):
        if items[seq].command in (Cmd.NAV_RETURN_TO_LAUNCH, Cmd.NAV_LAND):
            return seq
    return len(items) - 1


def items_to_json(items: list[MissionItem]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        d = asdict(item)
        d["command"] = int(item.command)
        d["frame"] = int(item.frame)
        d["mission_type"] = int(item.mission_type)
        out.append(d)
    return out


def items_from_json(rows: list[dict[str, Any]] | None) -> list[MissionItem]:
    return [MissionItem(**row) for row in rows or []]
