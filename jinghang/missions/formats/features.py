"""What the import formats (KML, KMZ, GeoJSON) give back: named areas, routes and points in
latitude/longitude, in the order they appear in the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jinghang.missions.errors import InputError
from jinghang.missions.geo import LatLon

Kind = Literal["area", "route", "point"]


@dataclass(frozen=True)
class Feature:
    """One area (polygon outer ring, not closed), route (polyline) or point."""

    name: str
    kind: Kind
    coordinates: list[LatLon]


def pick(features: list[Feature], kind: Kind, name: str | None = None,
         source: str = "file") -> Feature:
    """The feature of ``kind`` named ``name`` (or at index ``name``), else the first of it."""
    matching = [f for f in features if f.kind == kind]
    if not matching:
        raise InputError(
            f"{source} has no {kind} (it has: "
            + (", ".join(f"{f.kind} {f.name!r}" for f in features) or "nothing")
            + ")",
            field=kind, value=source, limit=f"a file with at least one {kind}",
        )
    if name is None:
        return matching[0]
    for f in matching:
        if f.name == name:
            return f
    if name.isdigit() and int(name) < len(matching):
        return matching[int(name)]
    raise InputError(
        f"{source} has no {kind} named {name!r}",
        field="feature", value=name, limit=[f.name for f in matching],
    )
