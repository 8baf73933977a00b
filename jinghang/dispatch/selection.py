"""Drone choice as a pure function: the fleet's state and an incident in, a ranked list of
drones that can go (by ETA) and every other drone with the reason it cannot, out.

A drone can go when it is available (registered as available, not flying another incident,
link up), healthy (GPS fix, EKF good), carries the playbook's payloads, has the battery for
the flight there, the time on scene and the flight back to its base with the reserve left
over, and neither leg crosses a no-fly zone. The energy model is linear in flight time:
a full battery lasts the drone's ``endurance_s`` (corrected from its own flights, see
``jinghang.dispatch.energy_history``); the cruise is flown at the registered speed or the
fastest the vehicle flies (its lean-angle limit), whichever is lower, and climbing and
descending at the vehicle's own rates (ArduCopter's 2.5 and 1.5 m/s until they are read). A
drone whose limits are still being read from it is not chosen (``drone.limits_unread``).
A rejection is ``permanent`` when waiting cannot fix it (no payload, out of
range even on a full battery, a no-fly zone in the way) and transient otherwise (busy,
charging, link lost). Every rejection has a stable message code (``drone.out_of_range``,
``drone.busy``, ...) and its parameters, for the console to translate. A drone that landed
away from its base is rejected as ``drone.landed_away`` before any range is computed (never
from the street). The ETA is
:func:`jinghang.missions.progress.travel_time_s` (climb, then the distance at the cruise
speed): the function the time to go of a drone in the air is counted with, so the proposal
and the card agree. Distances are geodesic.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from jinghang.missions.geo import distance_m
from jinghang.missions.progress import CLIMB_RATE_M_S as CLIMB_RATE_M_S
from jinghang.missions.progress import DESCENT_RATE_M_S as DESCENT_RATE_M_S
from jinghang.missions.progress import travel_time_s

LatLon = tuple[float, float]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class NoFlyMap(Protocol):
    """What the choice asks of the no-fly zones (``jinghang.missions.nofly.NoFlyZones``)."""

    def __len__(self) -> int: ...

    def zone_at(self, position: LatLon) -> _Named | None: ...

    def zone_on_leg(self, a: LatLon, b: LatLon) -> _Named | None: ...




class Rejection(enum.StrEnum):
    UNAVAILABLE = "unavailable"
    BUSY = "busy"
    LINK_LOST = "link_lost"
    UNHEALTHY = "unhealthy"
    PAYLOAD = "payload"
    BATTERY = "battery"
    RANGE = "range"
    NO_FLY = "no_fly"
    LANDED_AWAY = "landed_away"
    LIMITS_UNREAD = "limits_unread"


#: Rejections that waiting will not cure.
PERMANENT = frozenset({Rejection.PAYLOAD, Rejection.RANGE, Rejection.NO_FLY})

#: The message code of each rejection (what the console translates; docs/INTERFACES.md).
MESSAGE_CODES: dict[Rejection, str] = {
    Rejection.UNAVAILABLE: "drone.unavailable",
    Rejection.BUSY: "drone.busy",
    Rejection.LINK_LOST: "drone.link_lost",
    Rejection.UNHEALTHY: "drone.unhealthy",
    Rejection.PAYLOAD: "drone.missing_payload",
    Rejection.BATTERY: "drone.battery_short",
    Rejection.RANGE: "drone.out_of_range",
    Rejection.NO_FLY: "drone.in_no_fly_zone",
    Rejection.LANDED_AWAY: "drone.landed_away",
    Rejection.LIMITS_UNREAD: "drone.limits_unread",
}


@dataclass(frozen=True)
class DroneStatus:
    """What the choice needs to know about one drone, now."""

    drone_id: int
    name: str
    latitude_deg: float
    longitude_deg: float
    base_latitude_deg: float
    base_longitude_deg: float
    battery_pct: float | None
    payloads: frozenset[str]
    cruise_speed_m_s: float = 10.0
    endurance_s: float = 1800.0
    #: Registered as available (not in maintenance, retired, offline).
    registered_available: bool = True
    #: The incident or patrol it is flying now, if any.
    busy_with: str | None = None
    link_ok: bool = True
    healthy: bool = True
    health_reason: str = ""
    relative_altitude_m: float = 0.0
    #: Landed away from its base and not yet flown home or marked recovered.
    landed_away: bool = False
    #: The vehicle's own limits: the fastest it flies level, its climb and descent rates;
    #: ``limits_read`` is False while they are still being read from it.
    max_speed_m_s: float = math.inf
    climb_m_s: float = CLIMB_RATE_M_S
    descent_m_s: float = DESCENT_RATE_M_S
    limits_read: bool = True


@dataclass(frozen=True)
class Task:
    """Where a drone is asked to go and what it must do there."""

    latitude_deg: float
    longitude_deg: float
    payloads: frozenset[str] = frozenset()
    on_scene_s: float = 300.0
    altitude_m: float = 60.0
    reserve_pct: float = 20.0
    #: How far short of the point the drone is on scene (an orbit's radius: its first
    #: waypoint is on the circle): the ETA counts to there, the energy to the point.
    standoff_m: float = 0.0

    @property
    def point(self) -> LatLon:
        return (self.latitude_deg, self.longitude_deg)


@dataclass(frozen=True)
class Candidate:
    """A drone that can go, with its ETA and what the flight costs it."""

    drone_id: int
    name: str
    eta_s: float
    distance_m: float
    energy_needed_pct: float
    battery_pct: float
    battery_left_pct: float

    def why(self) -> str:
        return (
            f"{self.name}: {self.distance_m / 1000:.1f} km away, ETA {self.eta_s:.0f} s, "
            f"needs {self.energy_needed_pct:.0f}% of {self.battery_pct:.0f}% "
            f"(lands with {self.battery_left_pct:.0f}%)"
        )

    #: The message code of :meth:`why` (its parameters are :meth:`why_params`).
    why_code = "sortie.chosen"

    def why_params(self) -> dict[str, Any]:
        """The figures of :meth:`why`, for the console to say in the operator's language."""
        return {"drone": self.name, "drone_id": self.drone_id,
                "distance_m": round(self.distance_m, 1), "eta_s": round(self.eta_s),
                "needs_pct": round(self.energy_needed_pct),
                "battery_pct": round(self.battery_pct),
                "left_pct": round(self.battery_left_pct)}


@dataclass(frozen=True)
class Rejected:
    """A drone that cannot go, and why (``code`` for programs, ``reason`` for people)."""

    drone_id: int
    name: str
    code: Rejection
    reason: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def permanent(self) -> bool:
        return self.code in PERMANENT

    @property
    def message_code(self) -> str:
        return MESSAGE_CODES[self.code]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``code`` (the rejection kind, as before), ``message_code`` and
        ``params`` for translation, ``reason`` in English."""
        return {"drone_id": self.drone_id, "name": self.name, "code": self.code.value,
                "message_code": self.message_code, "params": dict(self.params),
                "reason": self.reason}

    def as_reason(self) -> dict[str, Any]:
        """One entry of a case's unassigned reasons: ``{drone_id, drone, code, params,
        reason}`` with the message code."""
        return {"drone_id": self.drone_id, "drone": self.name, "code": self.message_code,
                "params": dict(self.params), "reason": self.reason}


@dataclass(frozen=True)
class Choice:
    """The ranked candidates (best first) and every rejected drone."""

    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def hopeless(self) -> bool:
        """No drone can go and none ever will as things stand (all rejections permanent)."""
        return not self.candidates and all(r.permanent for r in self.rejected)

    def reasons(self) -> str:
        """One line an operator reads: why no (other) drone was taken."""
        if not self.rejected:
            return "no drones in the fleet"
        return "; ".join(f"{r.name}: {r.reason}" for r in self.rejected)

    def to_dict(self) -> dict[str, object]:
        return {
            "candidates": [
                {
                    "drone_id": c.drone_id,
                    "name": c.name,
                    "eta_s": round(c.eta_s, 1),
                    "distance_m": round(c.distance_m, 1),
                    "energy_needed_pct": round(c.energy_needed_pct, 1),
                    "battery_pct": round(c.battery_pct, 1),
                    "why": c.why(),
                    "why_code": c.why_code,
                    "why_params": c.why_params(),
                }
                for c in self.candidates
            ],
            "rejected": [r.to_dict() for r in self.rejected],
        }


def flight_energy_pct(drone: DroneStatus, task: Task) -> tuple[float, float, float]:
    """(energy_pct, eta_s, distance_there_m) of flying there, staying, and flying back."""
    here = (drone.latitude_deg, drone.longitude_deg)
    base = (drone.base_latitude_deg, drone.base_longitude_deg)
    there_m = distance_m(here, task.point)
    back_m = distance_m(task.point, base)
    speed = max(min(drone.cruise_speed_m_s, drone.max_speed_m_s), 0.1)
    climb_m = task.altitude_m - drone.relative_altitude_m
    rates = {"climb_m_s": drone.climb_m_s, "descent_m_s": drone.descent_m_s}
    eta_s = travel_time_s(max(0.0, there_m - task.standoff_m), speed, climb_m=climb_m, **rates)
    total_s = (travel_time_s(there_m, speed, climb_m=climb_m, **rates) + task.on_scene_s
               + travel_time_s(back_m, speed, descent_m=task.altitude_m, **rates))
    return total_s * 100.0 / max(drone.endurance_s, 1.0), eta_s, there_m


def assess(
    drone: DroneStatus, task: Task, no_fly: NoFlyMap | None = None
) -> Candidate | Rejected:
    """One drone against one task."""

    def reject(code: Rejection, reason: str, **params: Any) -> Rejected:
        return Rejected(drone.drone_id, drone.name, code, reason, params)

    if drone.landed_away:
        return reject(Rejection.LANDED_AWAY, "landed away from its base; fly it home or mark "
                      "it recovered")
    if not drone.registered_available:
        return reject(Rejection.UNAVAILABLE, "not available in the fleet register")
    if drone.busy_with:
        return reject(Rejection.BUSY, f"busy with {drone.busy_with}", busy_with=drone.busy_with)
    if not drone.link_ok:
        return reject(Rejection.LINK_LOST, "no link to the drone")
    if not drone.limits_read:
        return reject(Rejection.LIMITS_UNREAD, "reading the vehicle's flight limits")
    if not drone.healthy:
        return reject(Rejection.UNHEALTHY, drone.health_reason or "not healthy",
                      problem=drone.health_reason)
    missing = sorted(task.payloads - drone.payloads)
    if missing:
        return reject(Rejection.PAYLOAD, f"does not carry {', '.join(missing)}",
                      payloads=missing)
    here = (drone.latitude_deg, drone.longitude_deg)
    base = (drone.base_latitude_deg, drone.base_longitude_deg)
    if no_fly is not None and len(no_fly):
        inside = no_fly.zone_at(task.point)
        if inside is not None:
            return reject(Rejection.NO_FLY, f"the incident is inside the no-fly zone "
                          f"{inside.name}; no drone may fly there", zone=inside.name)
        zone = no_fly.zone_on_leg(here, task.point) or no_fly.zone_on_leg(task.point, base)
        if zone is not None:
            return reject(Rejection.NO_FLY, f"the route crosses the no-fly zone {zone.name}",
                          zone=zone.name)
    energy_pct, eta_s, there_m = flight_energy_pct(drone, task)
    figures = {"distance_m": round(there_m), "needed_pct": round(energy_pct),
               "reserve_pct": round(task.reserve_pct)}
    if energy_pct + task.reserve_pct > 100.0:
        return reject(
            Rejection.RANGE,
            f"out of range: {there_m / 1000:.1f} km there, {task.on_scene_s:.0f} s on scene and "
            f"back needs {energy_pct:.0f}% plus the {task.reserve_pct:.0f}% reserve even on a "
            "full battery",
            **figures,
        )
    battery = drone.battery_pct
    if battery is None:
        return reject(Rejection.UNHEALTHY, "battery level unknown", problem="battery unknown")
    if energy_pct + task.reserve_pct > battery:
        return reject(
            Rejection.BATTERY,
            f"battery {battery:.0f}% is short: needs {energy_pct:.0f}% for {there_m / 1000:.1f} "
            f"km there, {task.on_scene_s:.0f} s on scene and back, plus the "
            f"{task.reserve_pct:.0f}% reserve",
            battery_pct=round(battery), **figures,
        )
    return Candidate(
        drone_id=drone.drone_id,
        name=drone.name,
        eta_s=eta_s,
        distance_m=there_m,
        energy_needed_pct=energy_pct,
        battery_pct=battery,
        battery_left_pct=battery - energy_pct,
    )


def choose_drones(
    drones: Iterable[DroneStatus], task: Task, no_fly: NoFlyMap | None = None
) -> Choice:
    """Every drone assessed: candidates by ETA (then drone id), rejections by drone id."""
    candidates: list[Candidate] = []
    rejected: list[Rejected] = []
    for drone in drones:
        result = assess(drone, task, no_fly)
        if isinstance(result, Candidate):
            candidates.append(result)
        else:
            rejected.append(result)
    candidates.sort(key=lambda c: (c.eta_s, c.drone_id))
    rejected.sort(key=lambda r: r.drone_id)
    return Choice(candidates, rejected)
