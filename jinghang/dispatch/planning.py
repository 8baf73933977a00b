"""Turning a playbook (or a patrol's template) and a place into a checked mission plan.

Pure: :func:`plan_incident_flight` compiles the playbook's first flight with
``jinghang.missions`` at the incident's point (a search box round the point stands in for an
area the reporter did not draw), from the chosen drone's home, and runs the safety checks
(altitude ceiling, no-fly zones, energy with the drone's battery and the reserve) before
anything leaves for a vehicle. A :class:`~jinghang.missions.errors.SafetyError` (or another
``MissionError``) names the field at fault.

:func:`work_parts` cuts a case's work into battery-sized :class:`WorkPart` s, one sortie each:
area work (a survey or a perimeter over an area) into strips (:mod:`jinghang.missions.split`),
watch work (hovering over the scene for the playbook's ``on_scene_s``) into relief shifts, the
later ones queued to start so that they arrive before the one before must leave; point work
is one part. A part's ``on_scene_s`` is its flight estimated from the scene, what drone
choice checks against each drone's battery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from jinghang.dispatch.playbooks import AreaRequired, Playbook
from jinghang.missions.catalog import Stage
from jinghang.missions.compile import compile_stages, compile_template
from jinghang.missions.estimate import Airframe
from jinghang.missions.geo import distance_m
from jinghang.missions.items import MissionItem
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.progress import return_seq as return_seq
from jinghang.missions.progress import scene_seq as scene_seq
from jinghang.missions.safety import SafetyLimits, check_plan
from jinghang.missions.split import battery_sized_areas, watch_shifts
from jinghang.missions.vehicle_limits import VehicleLimits

LatLon = tuple[float, float]
#: Patterns that cannot fly on a bare point; without their input they fall back to an orbit.
_NEEDS_ROUTE = {"corridor": "route", "waypoint_loop": "points"}
#: Patterns that cover an area: without one drawn they need the playbook's ``search_box_m``.
AREA_PATTERNS = frozenset({"area_survey", "perimeter"})
#: Patterns that watch the scene for a time (``duration_s``), handed from drone to drone.
WATCH_PATTERNS = frozenset({"hover", "orbit"})
#: Kept back from each battery beyond the reserve: wind, a slower climb, a longer approach.
MARGIN_S = 60.0
#: How long before a watching drone must leave its relief is planned to arrive.
RELIEF_OVERLAP_S = 60.0


@dataclass(frozen=True)
class DroneProfile:
    """What planning needs about the drone that will fly: its home, battery and airframe
    (its endurance corrected from its flights, its limits as read from the vehicle)."""

    drone_id: int
    home: tuple[float, float, float]
    battery_pct: float
    cruise_speed_m_s: float = 10.0
    endurance_s: float = 1800.0
    limits: VehicleLimits = field(default_factory=VehicleLimits)

    def airframe(self) -> Airframe:
        return Airframe(cruise_speed_m_s=self.cruise_speed_m_s, endurance_s=self.endurance_s,
                        limits=self.limits)


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


def work_kind(playbook: Playbook) -> str:
    """``area``, ``watch`` or ``point``: how the playbook's work is cut into sorties."""
    patterns = {stage.pattern for stage in playbook.stages}
    if patterns & AREA_PATTERNS:
        return "area"
    if patterns <= WATCH_PATTERNS:
        return "watch"
    return "point"


def needs_area(playbook: Playbook) -> bool:
    return work_kind(playbook) == "area"


def require_area(playbook: Playbook, area: list[list[float]] | None) -> None:
    """Refuse (422, ``incident.area_required``, field ``area``) a report of a playbook that
    covers an area with a point only when the playbook has no default area round a point."""
    if needs_area(playbook) and not area and not playbook.search_box_m:
        raise AreaRequired(f"playbook {playbook.id} covers an area: draw one (it has no "
                           "default area round a point)", field="area",
                           code="incident.area_required", params={"playbook_id": playbook.id})


@dataclass(frozen=True)
class WorkPart:
    """One sortie's share of a case's work: an area strip, a relief shift or the whole."""

    index: int
    count: int
    kind: str
    #: The part's flight estimated from the scene (climb, work, descent), in seconds.
    on_scene_s: float
    #: Seconds after the case's first sortie that this one is to launch (relief shifts).
    start_after_s: float = 0.0
    area: list[list[float]] | None = None
    #: Parameter overrides of this part (a shift's ``duration_s``).
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count, "kind": self.kind,
                "on_scene_s": round(self.on_scene_s, 1),
                "start_after_s": round(self.start_after_s, 1),
                "area": self.area, "params": dict(self.params)}


def transit_s(drone: DroneProfile, point: LatLon, altitude_m: float) -> float:
    """The way there and back as drone choice counts it: climb, cruise both ways, descent."""
    home = (drone.home[0], drone.home[1])
    lim = drone.limits
    speed = max(min(drone.cruise_speed_m_s, lim.max_speed_m_s()), 0.1)
    return (2 * distance_m(home, point) / speed
            + altitude_m / max(lim.climb_m_s, 0.1) + altitude_m / max(lim.descent_m_s, 0.1))


def battery_budget_s(drone: DroneProfile, point: LatLon, limits: Limits,
                     altitude_m: float = 0.0) -> float:
    """Seconds of flight at the scene ``drone``'s battery (as charged now, at most full)
    gives, after the way there and back (:func:`transit_s`), the reserve and a margin."""
    charge_pct = min(max(drone.battery_pct, 0.0), 100.0)
    return (drone.endurance_s * (charge_pct - limits.reserve_pct) / 100.0
            - transit_s(drone, point, altitude_m) - MARGIN_S)


def _items_at(playbook: Playbook, point: LatLon, inputs: Mapping[str, Any],
              drone: DroneProfile, params: Mapping[str, Any] | None = None) -> MissionPlan:
    full = {**dict(inputs), "home": [point[0], point[1], drone.home[2]]}
    return compile_stages(
        _stages(playbook, full), full,
        [{"altitude_m": playbook.altitude_m}, dict(params or {})],
        template_id=playbook.template_id, pattern_label=playbook.first_pattern,
        airframe=drone.airframe(),
    )


def work_parts(
    playbook: Playbook,
    point: LatLon,
    reference: DroneProfile,
    *,
    limits: Limits,
    area: list[list[float]] | None = None,
    extra_inputs: Mapping[str, Any] | None = None,
) -> list[WorkPart]:
    """The case's work cut into parts that each fit one battery of ``reference`` (the
    drone expected to fly them) minus the reserve; see the module docstring. Work that no
    cut makes fit (the scene is too far) stays one part: drone choice says why no drone
    can fly it."""
    inputs = incident_inputs(playbook, point, area, extra_inputs)
    budget_s = battery_budget_s(reference, point, limits, playbook.altitude_m)
    kind = work_kind(playbook)
    parts = _cut(playbook, point, reference, inputs, budget_s, kind)
    if len(parts) > 1 and any(p.on_scene_s > budget_s for p in parts):
        whole = _items_at(playbook, point, inputs, reference)
        return [WorkPart(0, 1, kind, whole.flight_time_s,
                         area=inputs.get("area") if kind == "area" else None)]
    return parts


def _cut(playbook: Playbook, point: LatLon, reference: DroneProfile,
         inputs: Mapping[str, Any], budget_s: float, kind: str) -> list[WorkPart]:
    if kind == "area" and inputs.get("area"):
        def items_for(strip: list[list[float]]) -> list[MissionItem]:
            centre = (sum(p[0] for p in strip) / len(strip), sum(p[1] for p in strip) / len(strip))
            return _items_at(playbook, centre, {**inputs, "area": strip}, reference).items

        strips = battery_sized_areas(inputs["area"], items_for, budget_s, reference.airframe())
        return [WorkPart(n, len(strips), "area", p.flight_time_s, area=p.area)
                for n, p in enumerate(strips)]
    whole = _items_at(playbook, point, inputs, reference)
    if kind == "watch" and whole.flight_time_s > budget_s and any(
            s.pattern == "orbit" for s in playbook.stages):
        return _orbit_shifts(playbook, point, inputs, reference, budget_s, whole)
    if kind == "watch" and whole.flight_time_s > budget_s:
        watch_s = sum(float(s.params.get("duration_s", 0.0)) for s in playbook.stages)
        watch_s = max(watch_s, playbook.on_scene_s)
        overhead_s = max(0.0, whole.flight_time_s - watch_s)
        if budget_s - overhead_s <= RELIEF_OVERLAP_S:  # too far for any relief: choice says so
            return [WorkPart(0, 1, kind, whole.flight_time_s)]
        shifts = watch_shifts(watch_s, budget_s - overhead_s, RELIEF_OVERLAP_S)
        return [WorkPart(n, len(shifts), "watch", overhead_s + sh.duration_s,
                         start_after_s=sh.start_s,
                         params={"duration_s": round(sh.duration_s)})
                for n, sh in enumerate(shifts)]
    return [WorkPart(0, 1, kind, whole.flight_time_s)]


def _orbit_shifts(playbook: Playbook, point: LatLon, inputs: Mapping[str, Any],
                  reference: DroneProfile, budget_s: float, whole: MissionPlan
                  ) -> list[WorkPart]:
    """Circling watch cut into relief shifts of fewer turns each."""
    turns = max(int(s.params.get("turns", 1)) for s in playbook.stages if s.pattern == "orbit")
    count, shift = 1, whole
    while count < turns and shift.flight_time_s > budget_s:
        count += 1
        shift = _items_at(playbook, point, inputs, reference,
                          {"turns": math.ceil(turns / count)})
    each = math.ceil(turns / count)
    step_s = max(0.0, shift.flight_time_s - 2 * RELIEF_OVERLAP_S)
    return [WorkPart(n, count, "watch", shift.flight_time_s, start_after_s=n * step_s,
                     params={"turns": each}) for n in range(count)]


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
    part: WorkPart | None = None,
) -> MissionPlan:
    """The playbook's first flight at ``point`` from ``drone``'s home (only ``part`` of the
    work when given), safety-checked."""
    if part is not None:
        area = part.area or area
        params = {**dict(params or {}), **dict(part.params)}
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
