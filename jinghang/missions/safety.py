"""The safety checks a plan must pass before it is uploaded: the operator's polygon or route
(self-crossing or degenerate; compiling refuses these too), item count, altitude ceiling,
minimum lane spacing and radius, no-fly zones (every waypoint and every leg, home and the way
back included), and energy with the reserve.

Each refusal is a :class:`~jinghang.missions.errors.SafetyError` naming the field, the value
and the limit. :func:`check_plan` raises the first; :func:`find_violations` lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinghang.errors import MissionError
from jinghang.missions.errors import (
    AltitudeCeilingError,
    EnergyError,
    GeometryError,
    NoFlyZoneError,
    SafetyError,
    SpacingError,
    TooManyItemsError,
)
from jinghang.missions.geo import LatLon
from jinghang.missions.geometry import validate_polygon, validate_route
from jinghang.missions.items import Cmd, Frame
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan, has_position

POSITIONED_FOR_CHECKS = frozenset(
    {
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_UNLIM,
        Cmd.NAV_LOITER_TURNS,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_LAND,
        Cmd.NAV_TAKEOFF,
    }
)


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """The limits a plan is checked against (defaults: Chinese light-UAV practice)."""

    altitude_ceiling_m: float = 120.0
    min_lane_spacing_m: float = 2.0
    min_radius_m: float = 5.0
    #: Mission items the vehicle accepts (ArduPilot on 4 KB storage: about 700).
    max_items: int = 700
    #: Charge of the battery at launch, in percent.
    battery_pct: float = 100.0
    #: What must be left on landing, in percent.
    reserve_pct: float = 20.0


def _relative_altitude_m(frame: int, altitude_m: float, home_alt_m: float) -> float:
    if frame in (Frame.GLOBAL, Frame.GLOBAL_INT):
        return altitude_m - home_alt_m
    return altitude_m


def find_violations(
    plan: MissionPlan, limits: SafetyLimits | None = None, no_fly: NoFlyZones | None = None
) -> list[SafetyError]:
    """Every way ``plan`` breaks ``limits`` or enters ``no_fly``, in the order checked."""
    lim = limits or SafetyLimits()
    out: list[SafetyError] = []
    # the operator's geometry (compiled plans were checked already; files may carry any)
    try:
        if plan.inputs.get("area"):
            validate_polygon(plan.inputs["area"], "area")
        if plan.inputs.get("route"):
            validate_route(plan.inputs["route"], "route")
    except GeometryError as exc:
        out.append(exc)
    except MissionError as exc:  # malformed positions in a file's metadata
        out.append(GeometryError(exc.message, field=exc.field, value=exc.value,
                                 limit=exc.limit))
    count = len(plan.items)
    if count > lim.max_items:
        out.append(
            TooManyItemsError(
                f"the plan has {count} items; the vehicle accepts at most {lim.max_items}",
                field="items", value=count, limit=lim.max_items,
            )
        )
    home_alt = plan.home[2] if plan.home else 0.0
    for seq, item in enumerate(plan.items):
        if item.command not in POSITIONED_FOR_CHECKS:
            continue
        alt = _relative_altitude_m(item.frame, item.altitude_m, home_alt)
        if alt > lim.altitude_ceiling_m:
            out.append(
                AltitudeCeilingError(
                    f"item {seq} flies at {alt:g} m above home, over the "
                    f"{lim.altitude_ceiling_m:g} m ceiling",
                    field=f"items[{seq}].altitude_m", value=alt, limit=lim.altitude_ceiling_m,
                    seq=seq,
                )
            )
            break
    if plan.lane_spacing_m is not None and plan.lane_spacing_m < lim.min_lane_spacing_m:
        out.append(
            SpacingError(
                f"lanes {plan.lane_spacing_m:g} m apart are closer than the "
                f"{lim.min_lane_spacing_m:g} m minimum",
                field="lane_spacing_m", value=plan.lane_spacing_m, limit=lim.min_lane_spacing_m,
            )
        )
    if plan.min_radius_m is not None and plan.min_radius_m < lim.min_radius_m:
        out.append(
            SpacingError(
                f"a radius of {plan.min_radius_m:g} m is below the {lim.min_radius_m:g} m minimum",
                field="radius_m", value=plan.min_radius_m, limit=lim.min_radius_m,
            )
        )
    if no_fly is not None and len(no_fly):
        violation = _first_no_fly(plan, no_fly)
        if violation is not None:
            out.append(violation)
    needed = plan.energy_pct + lim.reserve_pct
    if needed > lim.battery_pct:
        out.append(
            EnergyError(
                f"the plan needs {plan.energy_pct:.0f}% of a battery plus the "
                f"{lim.reserve_pct:g}% reserve; {lim.battery_pct:g}% is available",
                field="energy_pct", value=round(plan.energy_pct, 1),
                limit=round(lim.battery_pct - lim.reserve_pct, 1),
                reserve_pct=lim.reserve_pct, battery_pct=lim.battery_pct,
            )
        )
    return out


def _first_no_fly(plan: MissionPlan, no_fly: NoFlyZones) -> NoFlyZoneError | None:
    start = plan.launch_point()
    path: list[tuple[int | None, LatLon]] = []
    if start is not None:
        path.append((None, start))
    for item_seq, item in enumerate(plan.items):
        if item.command in POSITIONED_FOR_CHECKS and has_position(item):
            path.append((item_seq, (item.latitude_deg, item.longitude_deg)))
        elif item.command == Cmd.NAV_RETURN_TO_LAUNCH and start is not None:
            path.append((item_seq, start))
    if not path:
        return None
    if len(no_fly.zones_on_path([p for _, p in path])) == 0:
        return None
    for index, (seq, pos) in enumerate(path):
        zone = no_fly.zone_at(pos)
        where = "home" if seq is None else f"items[{seq}]"
        if zone is not None:
            return NoFlyZoneError(
                f"{'home' if seq is None else f'item {seq}'} at {pos[0]:.6f},{pos[1]:.6f} "
                f"is inside the no-fly zone {zone.name}",
                field=where, value=[round(pos[0], 7), round(pos[1], 7)], limit=zone.name,
                zone=zone.name,
            )
        if index + 1 < len(path):
            nxt_seq, nxt = path[index + 1]
            zone = no_fly.zone_on_leg(pos, nxt)
            if zone is not None:
                return NoFlyZoneError(
                    f"the leg to item {nxt_seq} crosses the no-fly zone {zone.name}",
                    field=f"items[{nxt_seq}]", value=[round(nxt[0], 7), round(nxt[1], 7)],
                    limit=zone.name, zone=zone.name,
                )
    return None


def check_plan(
    plan: MissionPlan, limits: SafetyLimits | None = None, no_fly: NoFlyZones | None = None
) -> None:
    """Raise the first :class:`SafetyError` the plan earns; return quietly if it has none."""
    violations = find_violations(plan, limits, no_fly)
    if violations:
        raise violations[0]
