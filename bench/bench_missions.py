"""Mission planning figures: the time to plan a 5 km^2 survey at 2 cm/px and its item count,
and the time to check a plan against 1,000 no-fly polygons (STRtree), beside a naive loop over
every polygon for comparison.

    python3 bench/bench_missions.py [--repeat 5] [--zones 1000]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from shapely.geometry import LineString, Point, Polygon, mapping

from bench._common import require, run
from jinghang.missions.compile import compile_template
from jinghang.missions.geo import LocalFrame
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import SafetyLimits, check_plan, find_violations

#: Centre of the survey: farmland south-west of Weihai city.
CENTRE = (37.3600, 121.9500)


def survey_area(area_m2: float) -> list[tuple[float, float]]:
    """An irregular pentagon of ``area_m2`` around CENTRE (not a rectangle: lanes get clipped)."""
    shape = [(0.0, 0.0), (1.0, 0.05), (1.1, 0.8), (0.55, 1.05), (-0.05, 0.75)]
    unit = Polygon(shape).area
    scale = math.sqrt(area_m2 / unit)
    frame = LocalFrame(*CENTRE)
    return frame.many_to_latlon([((x - 0.5) * scale, (y - 0.5) * scale) for x, y in shape])


def zones_far_from(plan_centre: tuple[float, float], count: int, seed: int = 7) -> NoFlyZones:
    """``count`` small polygons scattered over a 60 km square around the plan, none on it."""
    rng = random.Random(seed)
    frame = LocalFrame(*plan_centre)
    features: list[dict[str, Any]] = []
    while len(features) < count:
        x, y = rng.uniform(-30000, 30000), rng.uniform(-30000, 30000)
        if abs(x) < 3000 and abs(y) < 3000:
            continue
        radius = rng.uniform(100, 800)
        ring = Point(x, y).buffer(radius, quad_segs=3).exterior.coords
        latlon = frame.many_to_latlon([(px, py) for px, py in ring])
        features.append({"type": "Feature", "properties": {"name": f"zone {len(features)}"},
                         "geometry": mapping(Polygon([(lon, lat) for lat, lon in latlon]))})
    return NoFlyZones.from_geojson({"type": "FeatureCollection", "features": features})


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_no_fly(plan: MissionPlan, zones: NoFlyZones) -> bool:
    """Every leg against every polygon, no index: what the STRtree saves."""
    path = [(it.longitude_deg, it.latitude_deg) for _, it in plan.nav_items()]
    legs = [LineString([a, b]) for a, b in itertools.pairwise(path)]
    return any(leg.intersects(z.geometry) for leg in legs for z in zones.zones)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--zones", type=int, default=1000)
    parser.add_argument("--area-km2", type=float, default=5.0)
    parser.add_argument("--gsd-cm-px", type=float, default=2.0)
    args = parser.parse_args()

    area = survey_area(args.area_km2 * 1e6)
    inputs = {"area": area}
    params = {"gsd_cm_px": args.gsd_cm_px}
    seconds, plan = timed(lambda: compile_template("RUR-01", inputs, params), args.repeat)
    lanes = sum(1 for i in plan.items if i.command == 206 and i.param1 > 0)
    require(plan.items and lanes and plan.photo_count, "the survey plan has no items, lanes or "
            f"photos ({len(plan.items)} items, {lanes} lanes, {plan.photo_count} photos)")
    print(f"plan a {plan.area_m2 / 1e6:.2f} km^2 survey (RUR-01) at {plan.gsd_cm_px:.2f} cm/px: "
          f"{seconds * 1000:.1f} ms median of {args.repeat}")
    print(f"  {len(plan.items)} items, {lanes} lanes {plan.lane_spacing_m:.1f} m apart, "
          f"{plan.photo_count} photos, {plan.distance_horizontal_m / 1000:.1f} km, "
          f"{plan.flight_time_s / 3600:.1f} h ({plan.energy_pct:.0f}% of one battery)")

    build_s, zones = timed(lambda: zones_far_from(CENTRE, args.zones), 1)
    require(len(zones) == args.zones, f"{len(zones)} of {args.zones} no-fly polygons loaded")
    print(f"load {len(zones)} no-fly polygons from GeoJSON and index them: "
          f"{build_s * 1000:.1f} ms")
    big = SafetyLimits(max_items=100000, battery_pct=100000)
    check_s, _ = timed(lambda: check_plan(plan, big, zones), args.repeat)
    print(f"check the {len(plan.items)}-item survey against {len(zones)} polygons (STRtree): "
          f"{check_s * 1000:.2f} ms median")
    naive_s, hit = timed(lambda: naive_no_fly(plan, zones), max(1, args.repeat // 2))
    require(not hit, "the naive check found a zone on the plan: the zones are not clear of it")
    print(f"  the same legs against every polygon without the index: {naive_s * 1000:.1f} ms")

    last = plan.nav_items()[-1][1]
    blocker = Point(last.longitude_deg, last.latitude_deg).buffer(0.0005)
    blocked = NoFlyZones([*zones.zones, type(zones.zones[0])("blocker", blocker, {})])
    hit_s, found = timed(lambda: find_violations(plan, big, blocked), args.repeat)
    require(found, "the check did not find the zone put on the last lane")
    print(f"  with a zone on the last lane (every leg walked to find it): "
          f"{hit_s * 1000:.2f} ms median")

    coast = compile_template("SEA-01", {"route": [(37.5262, 122.0648), (37.5296, 122.0522),
                                                  (37.5322, 122.0262), (37.5352, 122.0029)]})
    small_s, _ = timed(lambda: find_violations(coast, SafetyLimits(), zones), args.repeat * 4)
    print(f"check a {len(coast.items)}-item coastline patrol against {len(zones)} polygons: "
          f"{small_s * 1000:.2f} ms median")


if __name__ == "__main__":
    run(main)
