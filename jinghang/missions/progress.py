"""Where a mission run is and how long it still takes: pure maths over the plan's legs.

A :class:`Route` is a plan reduced to what progress needs: home, the positioned items in
order (each with the speed the plan flies the leg to it at), the item that means "on scene"
and the final RTL/LAND. :func:`measure` turns the vehicle's real position, height and current
item into a :class:`RunProgress`: the leg it is on, the distance and time to the scene and to
home along the remaining legs, the share of the path flown.

Time to go is remaining path length over the *planned* speed of each leg (plus the climb and
descent at their rates), never over the instantaneous ground speed (near zero at takeoff,
which made the figure rise as the drone got closer): on a straight flight it only falls.
:func:`travel_time_s` is that time for one distance; drone choice's ETA
(``jinghang.dispatch.selection``) uses the same function, so the proposal and the card agree.

:func:`observe` reads the phase of a run (launching, en route, on scene, returning, landed)
from one vehicle state; phases only move forward. :func:`must_leave_in_s` and
:func:`relief_due` say when a watch needs its relief drone launched. Distances are
geodesic (pyproj, via :mod:`jinghang.missions.geo`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jinghang.flight import autopilot_named
from jinghang.missions.geo import LatLon, distance_m
from jinghang.missions.items import NAV_COMMANDS_WITH_POSITION, Cmd, MissionItem

#: Climb and descent rates drone choice and progress count with (m/s).
CLIMB_RATE_M_S = 2.5
DESCENT_RATE_M_S = 1.5
#: Above this height (m) the drone counts as having taken off.
AIRBORNE_M = 1.0


class Phase(enum.IntEnum):
    LAUNCHING = 0
    EN_ROUTE = 1
    ON_SCENE = 2
    RETURNING = 3
    LANDED = 4


def path_time_s(legs: Sequence[tuple[float, float]], *, climb_m: float = 0.0,
                descent_m: float = 0.0, climb_m_s: float = CLIMB_RATE_M_S,
                descent_m_s: float = DESCENT_RATE_M_S) -> float:
    """Seconds to fly ``legs`` ((length_m, speed_m_s) each), climbing ``climb_m`` first and
    descending ``descent_m`` at the end, at the vehicle's climb and descent rates."""
    cruise = sum(length / max(speed, 0.1) for length, speed in legs)
    return (max(0.0, climb_m) / max(climb_m_s, 0.1) + cruise
            + max(0.0, descent_m) / max(descent_m_s, 0.1))


def travel_time_s(distance_m: float, speed_m_s: float, *, climb_m: float = 0.0,
                  descent_m: float = 0.0, climb_m_s: float = CLIMB_RATE_M_S,
                  descent_m_s: float = DESCENT_RATE_M_S) -> float:
    """Seconds to fly ``distance_m`` at ``speed_m_s`` (climb first, descent at the end):
    the ETA of drone choice and the time to go of a run in the air."""
    return path_time_s([(distance_m, speed_m_s)], climb_m=climb_m, descent_m=descent_m,
                       climb_m_s=climb_m_s, descent_m_s=descent_m_s)


def must_leave_in_s(*, battery_pct: float, reserve_pct: float, endurance_s: float,
                    home_time_s: float) -> float:
    """Seconds a drone can stay where it is before it must head home to land with the
    reserve: what its battery holds beyond the reserve (linear in flight time, a full battery
    lasting ``endurance_s``) less the way home (:func:`travel_time_s`)."""
    return endurance_s * (battery_pct - reserve_pct) / 100.0 - home_time_s


def relief_due(leave_in_s: float, relief_eta_s: float, margin_s: float) -> bool:
    """Whether to launch the relief now: the watching drone must leave no later than the
    relief can be on scene (its time to the scene, :func:`travel_time_s`) plus a margin."""
    return leave_in_s <= relief_eta_s + margin_s


@dataclass(frozen=True)
class Waypoint:
    """A positioned item of the plan, with the speed planned for the leg that reaches it."""

    seq: int
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    speed_m_s: float

    @property
    def point(self) -> LatLon:
        return (self.latitude_deg, self.longitude_deg)


@dataclass(frozen=True)
class Route:
    """A plan's path as progress sees it; build it with :meth:`of`."""

    home: LatLon
    waypoints: tuple[Waypoint, ...]
    #: Length of the leg into each waypoint (from the previous one, the first from home).
    legs_m: tuple[float, ...]
    #: Length of the way back from the last waypoint to home (0 when the plan lands there).
    back_m: float
    scene_seq: int
    return_seq: int
    item_count: int
    speed_m_s: float

    @classmethod
    def of(cls, items: Sequence[MissionItem], home: LatLon, *, speed_m_s: float,
           scene_seq: int, return_seq: int) -> Route:
        """The route of ``items`` flown from ``home`` at ``speed_m_s`` unless the plan sets
        another speed (DO_CHANGE_SPEED) for some legs."""
        speed = speed_m_s
        points: list[Waypoint] = []
        lands_away = False
        for seq, item in enumerate(items):
            if item.command == Cmd.DO_CHANGE_SPEED and item.param2 > 0:
                speed = float(item.param2)
            if item.command not in NAV_COMMANDS_WITH_POSITION or item.command == Cmd.NAV_TAKEOFF:
                continue
            if item.latitude_deg == 0.0 and item.longitude_deg == 0.0:
                continue
            points.append(Waypoint(seq, item.latitude_deg, item.longitude_deg,
                                   float(item.altitude_m), speed))
            lands_away = item.command == Cmd.NAV_LAND
        legs: list[float] = []
        previous = home
        for wp in points:
            legs.append(distance_m(previous, wp.point))
            previous = wp.point
        back = 0.0 if lands_away or not points else distance_m(points[-1].point, home)
        return cls(home, tuple(points), tuple(legs), back, scene_seq, return_seq, len(items),
                   speed_m_s)

    @property
    def total_m(self) -> float:
        return sum(self.legs_m) + self.back_m

    def next_index(self, current_seq: int | None) -> int:
        """Index into ``waypoints`` of the one the vehicle flies to (len: none left)."""
        seq = current_seq or 0
        for k, wp in enumerate(self.waypoints):
            if wp.seq >= seq:
                return k
        return len(self.waypoints)

    def scene_index(self) -> int | None:
        """Index of the waypoint that means on scene (None: the plan has none)."""
        for k, wp in enumerate(self.waypoints):
            if wp.seq >= self.scene_seq:
                return k
        return None


@dataclass(frozen=True)
class RunProgress:
    """One sample of a mission run as the operator sees it."""

    phase: Phase
    #: The item flown to (caller numbering), and how many the plan has.
    current_seq: int | None
    item_count: int
    #: The leg flown: 0 from home to the first waypoint, k into waypoint k (None: on the
    #: ground or the way home outside the plan's legs).
    leg_index: int | None
    #: Along the remaining legs to the scene's first waypoint (None once on scene or after).
    distance_to_scene_m: float | None
    time_to_scene_s: float | None
    #: Along the remaining legs and the way back (straight home once returning).
    distance_home_m: float
    time_home_s: float
    #: Share of the planned path flown, 0..1 (1 only once landed).
    fraction: float
    latitude_deg: float = math.nan
    longitude_deg: float = math.nan
    ground_speed_m_s: float = math.nan
    link_lost: bool = False
    #: The vehicle state this sample was read from (not part of the figures).
    state: Any = field(default=None, compare=False, repr=False)

    @property
    def to_go_target(self) -> str:
        """What the card's "to go" counts to: ``scene`` on the way there, ``home`` after."""
        return "scene" if self.time_to_scene_s is not None else "home"

    @property
    def distance_to_go_m(self) -> float:
        return (self.distance_to_scene_m if self.distance_to_scene_m is not None
                else self.distance_home_m)

    @property
    def time_to_go_s(self) -> float:
        return self.time_to_scene_s if self.time_to_scene_s is not None else self.time_home_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures (metres and seconds rounded to one decimal)."""
        def r(x: float | None) -> float | None:
            return None if x is None or math.isnan(x) else round(x, 1)

        return {
            "phase": self.phase.name, "current_seq": self.current_seq,
            "item_count": self.item_count, "leg_index": self.leg_index,
            "distance_to_scene_m": r(self.distance_to_scene_m),
            "time_to_scene_s": r(self.time_to_scene_s),
            "distance_home_m": r(self.distance_home_m), "time_home_s": r(self.time_home_s),
            "distance_to_go_m": r(self.distance_to_go_m), "time_to_go_s": r(self.time_to_go_s),
            "to_go_target": self.to_go_target, "fraction": round(self.fraction, 4),
        }


def _clean(x: float, default: float = 0.0) -> float:
    return default if x is None or math.isnan(x) else float(x)


def measure(route: Route, phase: Phase, state: Any) -> RunProgress:
    """The progress of a run in ``phase`` with the vehicle at ``state`` (anything with
    ``latitude_deg``, ``longitude_deg``, ``relative_altitude_m``, ``mission_current_seq``,
    ``ground_speed_m_s`` and ``link_lost``)."""
    lat, lon = _clean(state.latitude_deg, math.nan), _clean(state.longitude_deg, math.nan)
    alt = max(0.0, _clean(state.relative_altitude_m))
    seq = state.mission_current_seq
    common = {"latitude_deg": lat, "longitude_deg": lon,
              "ground_speed_m_s": _clean(getattr(state, "ground_speed_m_s", math.nan), math.nan),
              "link_lost": bool(getattr(state, "link_lost", False)), "state": state}
    total = route.total_m
    if phase == Phase.LANDED:
        return RunProgress(phase, seq, route.item_count, None, None, None, 0.0, 0.0, 1.0,
                           **common)
    here = (lat, lon) if not math.isnan(lat) and not math.isnan(lon) else route.home
    index = route.next_index(seq)
    returning = (phase >= Phase.RETURNING or (seq is not None and seq >= route.return_seq)
                 or index >= len(route.waypoints))
    if returning:
        home_m = distance_m(here, route.home)
        home_s = travel_time_s(home_m, route.speed_m_s, descent_m=alt)
        fraction = 1.0 - home_m / total if total > 0 else 0.0
        return RunProgress(Phase.RETURNING if phase < Phase.RETURNING else phase, seq,
                           route.item_count, None, None, None, home_m, home_s,
                           min(max(fraction, 0.0), 0.999), **common)
    target = route.waypoints[index]
    first_m = distance_m(here, target.point)
    climb_m = target.altitude_m - alt if phase <= Phase.EN_ROUTE else 0.0
    legs = [(first_m, target.speed_m_s)]
    legs += [(route.legs_m[k], route.waypoints[k].speed_m_s)
             for k in range(index + 1, len(route.waypoints))]
    last_alt = route.waypoints[-1].altitude_m
    back = [(route.back_m, route.speed_m_s)] if route.back_m > 0 else []
    home_m = sum(length for length, _ in legs) + route.back_m
    home_s = path_time_s(legs + back, climb_m=climb_m, descent_m=last_alt)
    scene = route.scene_index()
    to_scene_m: float | None = None
    to_scene_s: float | None = None
    if phase < Phase.ON_SCENE and scene is not None and index <= scene:
        scene_legs = legs[:scene - index + 1]
        to_scene_m = sum(length for length, _ in scene_legs)
        to_scene_s = path_time_s(scene_legs, climb_m=climb_m)
    fraction = 1.0 - home_m / total if total > 0 else 0.0
    return RunProgress(phase, seq, route.item_count, index, to_scene_m, to_scene_s, home_m,
                       home_s, min(max(fraction, 0.0), 0.999), **common)


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


class Tracked(Protocol):
    """What :func:`observe` reads and keeps of a run (a dispatcher's ``Flight`` is one)."""

    phase: Phase
    took_off: bool
    armed_seen: bool
    handed_over_to: str | None
    await_seq: int | None
    scene_seq: int
    return_seq: int


@dataclass
class PhaseTrack:
    """A run's phase and what reading it needs to remember, for a run nobody else tracks."""

    scene_seq: int
    return_seq: int
    phase: Phase = Phase.LAUNCHING
    took_off: bool = False
    armed_seen: bool = False
    handed_over_to: str | None = None
    await_seq: int | None = None


def observe(track: Tracked, state: Any) -> Phase:
    """The phase ``state`` shows for the run (never earlier than the current one).

    ``en_route`` until the mission reaches its first item on scene, ``on_scene`` while it
    flies the pattern, ``returning`` from the final RTL/LAND item (or any RTL/LAND mode: a
    recall, a failsafe), ``landed`` once disarmed after having been armed. While a pilot has
    the drone only returning and landing are read; after a new mission is sent mid-flight
    (``await_seq``) sequence numbers are read again only once the vehicle reports that item.
    """
    alt = state.relative_altitude_m
    if state.armed:
        track.armed_seen = True
        if not math.isnan(alt) and alt > AIRBORNE_M:
            track.took_off = True
    if (track.took_off or track.armed_seen) and not state.armed:
        return Phase.LANDED
    phase = track.phase
    if phase == Phase.LAUNCHING:
        return phase
    if autopilot_named(state.autopilot).is_returning(state.mode):
        return max(phase, Phase.RETURNING)
    if track.handed_over_to is not None:
        return phase
    seq = state.mission_current_seq
    if track.await_seq is not None:
        if seq != track.await_seq:
            return phase
        track.await_seq = None
    if seq is not None and seq >= track.return_seq:
        return max(phase, Phase.RETURNING)
    if seq is not None and seq > track.scene_seq:
        return max(phase, Phase.ON_SCENE)
    return max(phase, Phase.EN_ROUTE)
