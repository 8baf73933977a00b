"""The :class:`MissionPlan`: a mission's items in MAVLink terms plus what an operator must see
before launch (template and parameters, distances, flight time, energy, photos, GSD, area).

The items are the caller's items, numbered from 0: ``NAV_TAKEOFF`` first and
``NAV_RETURN_TO_LAUNCH`` or ``NAV_LAND`` last. ArduPilot's home at sequence 0 is added by
``jinghang.flight`` on upload, never here. Fence and rally items travel beside the mission for
the formats that carry them (QGroundControl ``.plan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from jinghang.missions.items import NAV_COMMANDS_WITH_POSITION, Cmd, MissionItem

#: (latitude_deg, longitude_deg, altitude_amsl_m)
Home = tuple[float, float, float]


@dataclass(frozen=True)
class MissionPlan:
    """A mission ready for the safety checks, the formats and the flight layer."""

    items: list[MissionItem]
    template_id: str | None = None
    pattern: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: Where the vehicle takes off; ``None`` when unknown (the first waypoint stands in).
    home: Home | None = None
    fence: list[MissionItem] = field(default_factory=list)
    rally: list[MissionItem] = field(default_factory=list)
    #: The operator's geometry (``area``, ``route``, ``point``, ``points``) as lat/lon lists.
    inputs: dict[str, Any] = field(default_factory=dict)
    distance_horizontal_m: float = 0.0
    distance_vertical_m: float = 0.0
    flight_time_s: float = 0.0
    energy_pct: float = 0.0
    photo_count: int = 0
    gsd_cm_px: float | None = None
    area_m2: float | None = None
    #: The closest survey lanes or corridor passes, for the minimum-spacing check.
    lane_spacing_m: float | None = None
    #: The tightest orbit radius, for the minimum-radius check.
    min_radius_m: float | None = None
    cruise_speed_m_s: float = 10.0
    #: Things the operator must know that MAVLink cannot carry (loudspeaker messages, ...).
    notes: list[str] = field(default_factory=list)

    def with_(self, **changes: Any) -> MissionPlan:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def nav_items(self) -> list[tuple[int, MissionItem]]:
        """(seq, item) of every item that flies to a position."""
        return [
            (seq, item)
            for seq, item in enumerate(self.items)
            if item.command in NAV_COMMANDS_WITH_POSITION and has_position(item)
        ]

    def launch_point(self) -> tuple[float, float] | None:
        """Home, or where the first positioned waypoint is when home is unknown."""
        if self.home is not None:
            return self.home[0], self.home[1]
        for _, item in self.nav_items():
            return item.latitude_deg, item.longitude_deg
        return None

    def summary(self) -> dict[str, Any]:
        """What an operator sees before launch, JSON-ready."""
        return {
            "template_id": self.template_id,
            "pattern": self.pattern,
            "params": dict(self.params),
            "item_count": len(self.items),
            "distance_horizontal_m": round(self.distance_horizontal_m, 1),
            "distance_vertical_m": round(self.distance_vertical_m, 1),
            "flight_time_s": round(self.flight_time_s, 1),
            "energy_pct": round(self.energy_pct, 1),
            "photo_count": self.photo_count,
            "gsd_cm_px": None if self.gsd_cm_px is None else round(self.gsd_cm_px, 2),
            "area_m2": None if self.area_m2 is None else round(self.area_m2, 1),
            "lane_spacing_m": self.lane_spacing_m,
            "min_radius_m": self.min_radius_m,
            "notes": list(self.notes),
        }


def has_position(item: MissionItem) -> bool:
    """Whether the item carries a real position (0,0 means "here" for takeoff and land)."""
    return not (item.latitude_deg == 0.0 and item.longitude_deg == 0.0)


def ends_the_flight(item: MissionItem) -> bool:
    return item.command in (Cmd.NAV_RETURN_TO_LAUNCH, Cmd.NAV_LAND)
