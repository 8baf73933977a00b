"""Sample operator inputs around Weihai for every template, small enough to fly in seconds on
the built-in simulator at speedup. Each template takes off from ``HOME`` or ``SEA_HOME``."""

from __future__ import annotations

from typing import Any

from jinghang.missions.catalog import Template, load_catalog

#: A field edge near Zhangcun, Huancui district (inland, clear of every sample no-fly zone).
HOME = (37.4490, 121.9950, 35.0)
#: The shore at Weihai International Beach.
SEA_HOME = (37.5262, 122.0600, 3.0)

#: A 220 m x 160 m field, a little skewed, just north-east of HOME.
FIELD = [
    (37.4495, 121.9955),
    (37.4497, 121.9980),
    (37.4511, 121.9981),
    (37.4510, 121.9956),
]
#: A concave (L-shaped) block.
L_BLOCK = [
    (37.4495, 121.9955),
    (37.4495, 121.9985),
    (37.4503, 121.9985),
    (37.4503, 121.9966),
    (37.4515, 121.9966),
    (37.4515, 121.9955),
]
#: A short stretch of village road.
ROAD = [(37.4493, 121.9952), (37.4501, 121.9968), (37.4512, 121.9975), (37.4520, 121.9993)]
#: Patrol points round the fields.
POINTS = [(37.4498, 121.9958), (37.4508, 121.9978), (37.4496, 121.9985)]
POINT = (37.4502, 121.9966)

SEA_AREA = [(37.5270, 122.0590), (37.5272, 122.0615), (37.5288, 122.0614), (37.5286, 122.0589)]
SEA_ROUTE = [(37.5264, 122.0598), (37.5276, 122.0575), (37.5285, 122.0552)]
SEA_POINTS = [(37.5266, 122.0595), (37.5274, 122.0580), (37.5280, 122.0565)]
SEA_POINT = (37.5280, 122.0605)

#: Parameters that shrink long holds and hovers so a flight ends in simulated minutes.
QUICK_PARAMS: dict[str, dict[str, Any]] = {
    "SAF-07": {"duration_s": 30, "altitude_m": 60},
    "SEA-05": {"hold_s": 5},
    "ENV-05": {"hold_s": 5},
    "ENV-06": {"hold_s": 5},
    "SAF-01": {"track_spacing_m": 25, "legs": 6},
    "SEA-06": {"track_spacing_m": 40, "legs": 6},
    "SAF-02": {"radius_m": 80},
    "SAF-03": {"radius_m": 60, "altitude_m": 60},
    "CTY-04": {"radius_m": 40, "turns": 1},
    "SEA-04": {"radius_m": 30},
    "SEA-07": {"radius_m": 40},
    "SAF-06": {"structure_height_m": 30, "standoff_m": 30, "layer_spacing_m": 15},
    "CTY-06": {"structure_height_m": 20, "standoff_m": 20, "layer_spacing_m": 10},
    "CTY-03": {"radius_m": 60},
    "SAF-04": {"radius_m": 25},
}


def is_sea(template: Template) -> bool:
    return template.category == "SEA"


def inputs_for(template: Template) -> dict[str, Any]:
    """Sample inputs that satisfy every input the template needs."""
    sea = is_sea(template)
    home = SEA_HOME if sea else HOME
    inputs: dict[str, Any] = {"home": home}
    for entry in template.inputs:
        name = entry.split("|")[0]
        if name == "area":
            inputs["area"] = SEA_AREA if sea else FIELD
        elif name == "route":
            inputs["route"] = SEA_ROUTE if sea else ROAD
        elif name == "points":
            inputs["points"] = SEA_POINTS if sea else POINTS
        elif name == "point":
            inputs["point"] = SEA_POINT if sea else POINT
    if template.id == "SAF-04":
        inputs["points"] = [(37.4500, 121.9962), (37.4506, 121.9975)]
    return inputs


def template_ids() -> list[str]:
    return sorted(t.id for t in load_catalog())
