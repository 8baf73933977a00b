"""Splitting work longer than one battery into battery-sized parts (pure, no I/O).

Area work (a survey, a search, a perimeter over an area) is cut into strips west to east
(:func:`split_area`, each strip the area clipped between two meridians) until every strip's
flight, estimated with :func:`jinghang.missions.estimate.estimate_items`, fits in one battery
minus the reserve (:func:`battery_sized_areas`). Watch work (hovering or circling over a scene
for a time) is cut into relief shifts (:func:`watch_shifts`): each shift starts ``lead_s``
before the one before it ends, so the scene is never left unwatched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jinghang.missions.estimate import Airframe, estimate_items
from jinghang.missions.items import MissionItem

Polygon = list[list[float]]  # [[lat, lon], ...]
#: Never cut an area into more parts than this (a fleet does not have more drones).
MAX_PARTS = 12


def _clip(poly: Polygon, lon_deg: float, keep_east: bool) -> Polygon:
    """``poly`` clipped to the side of the meridian ``lon_deg`` (Sutherland-Hodgman)."""
    def inside(p: list[float]) -> bool:
        return p[1] >= lon_deg if keep_east else p[1] <= lon_deg

    out: Polygon = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(_cross(prev, cur, lon_deg))
            out.append(list(cur))
        elif inside(prev):
            out.append(_cross(prev, cur, lon_deg))
    return out


def _cross(a: list[float], b: list[float], lon_deg: float) -> list[float]:
    t = (lon_deg - a[1]) / (b[1] - a[1])
    return [a[0] + t * (b[0] - a[0]), lon_deg]


def split_area(area: Polygon, parts: int) -> list[Polygon]:
    """``area`` cut into ``parts`` strips of equal width west to east (empty strips left out)."""
    if parts <= 1:
        return [[list(p) for p in area]]
    west = min(p[1] for p in area)
    east = max(p[1] for p in area)
    width = (east - west) / parts
    out = []
    for n in range(parts):
        strip = _clip(_clip(area, west + n * width, True), west + (n + 1) * width, False)
        if len(strip) >= 3:
            out.append(strip)
    return out


@dataclass(frozen=True)
class AreaPart:
    """One battery-sized part of an area and its estimated flight time (from its own centre)."""

    area: Polygon
    flight_time_s: float


def battery_sized_areas(
    area: Polygon,
    items_for: Callable[[Polygon], list[MissionItem]],
    budget_s: float,
    airframe: Airframe | None = None,
) -> list[AreaPart]:
    """The fewest equal strips of ``area`` whose flights (``items_for(strip)``, estimated
    from the strip's centre) each take at most ``budget_s``; the last try (``MAX_PARTS``)
    when none fits, so that the caller can refuse it with the figures."""
    parts: list[AreaPart] = []
    for count in range(1, MAX_PARTS + 1):
        parts = []
        for strip in split_area(area, count):
            centre = (sum(p[0] for p in strip) / len(strip), sum(p[1] for p in strip) / len(strip))
            est = estimate_items(items_for(strip), centre, airframe)
            parts.append(AreaPart(strip, est.flight_time_s))
        if all(p.flight_time_s <= budget_s for p in parts):
            return parts
    return parts


@dataclass(frozen=True)
class WatchShift:
    """One relief shift: it starts ``start_s`` after the first and watches ``duration_s``."""

    start_s: float
    duration_s: float


def watch_shifts(total_s: float, shift_max_s: float, lead_s: float = 0.0) -> list[WatchShift]:
    """``total_s`` of watching cut into the fewest equal shifts of at most ``shift_max_s``;
    each shift after the first starts ``lead_s`` before the one before it ends (the relief
    arrives before the watching drone must leave), the last ends at ``total_s``."""
    if shift_max_s <= lead_s:
        raise ValueError("shift_max_s must be longer than lead_s")
    count = 1
    while (total_s + (count - 1) * lead_s) / count > shift_max_s + 1e-9:
        count += 1
    each = (total_s + (count - 1) * lead_s) / count
    return [WatchShift(n * (each - lead_s), each) for n in range(count)]


__all__ = ["AreaPart", "WatchShift", "battery_sized_areas", "split_area", "watch_shifts"]
