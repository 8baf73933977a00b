"""Drone choice: ranked by ETA, every rejected drone with its reason."""

from __future__ import annotations

from jinghang.dispatch.selection import DroneStatus, Rejection, Task, choose_drones, distance_m
from jinghang.missions.geo import destination
from jinghang.missions.nofly import NoFlyZones

BASE = (37.5000, 122.1000)


def drone(drone_id: int, *, at: tuple[float, float] = BASE, **kw: object) -> DroneStatus:
    values: dict[str, object] = dict(
        drone_id=drone_id, name=f"JH-{drone_id}", latitude_deg=at[0], longitude_deg=at[1],
        base_latitude_deg=at[0], base_longitude_deg=at[1], battery_pct=100.0,
        payloads=frozenset({"camera", "thermal"}), cruise_speed_m_s=12.0, endurance_s=1800.0,
    )
    values.update(kw)
    return DroneStatus(**values)  # type: ignore[arg-type]


def test_nearest_drone_comes_first_and_all_are_ranked_by_eta() -> None:
    task = Task(37.51, 122.10, frozenset({"camera"}))
    far = drone(1, at=(37.47, 122.10))
    near = drone(2, at=(37.505, 122.10))
    mid = drone(3, at=(37.49, 122.10))
    choice = choose_drones([far, near, mid], task)
    assert [c.drone_id for c in choice.candidates] == [2, 3, 1]
    assert choice.best is not None and choice.best.eta_s < choice.candidates[1].eta_s
    assert "ETA" in choice.best.why() and choice.rejected == []


def test_every_rejected_drone_has_its_reason() -> None:
    task = Task(37.51, 122.10, frozenset({"thermal"}), on_scene_s=300)
    drones = [
        drone(1, busy_with="incident 4"),
        drone(2, payloads=frozenset({"camera"})),
        drone(3, battery_pct=25.0),
        drone(4, healthy=False, health_reason="no GPS fix"),
        drone(5, link_ok=False),
        drone(6, registered_available=False),
        drone(7),
    ]
    choice = choose_drones(drones, task)
    assert [c.drone_id for c in choice.candidates] == [7]
    codes = {r.drone_id: r.code for r in choice.rejected}
    assert codes == {1: Rejection.BUSY, 2: Rejection.PAYLOAD, 3: Rejection.BATTERY,
                     4: Rejection.UNHEALTHY, 5: Rejection.LINK_LOST, 6: Rejection.UNAVAILABLE}
    reasons = {r.drone_id: r.reason for r in choice.rejected}
    assert "thermal" in reasons[2] and "25%" in reasons[3] and "GPS" in reasons[4]
    assert "JH-3: battery 25% is short" in choice.reasons()


def test_battery_counts_there_on_scene_and_back_with_the_reserve() -> None:
    # 7.2 km away at 12 m/s: 600 s there and back each, 300 s on scene, climb and descent.
    point = destination(BASE, 0.0, 7200.0)  # geodesic, on the WGS84 ellipsoid
    assert abs(distance_m(BASE, point) - 7200) < 5
    task = Task(point[0], point[1], on_scene_s=300, altitude_m=60, reserve_pct=20)
    needed_pct = (24 + 600 + 300 + 600 + 40) * 100 / 3600
    just_enough = drone(1, battery_pct=needed_pct + 20 + 0.5, endurance_s=3600.0)
    just_short = drone(2, battery_pct=needed_pct + 20 - 0.5, endurance_s=3600.0)
    choice = choose_drones([just_enough, just_short], task)
    assert [c.drone_id for c in choice.candidates] == [1]
    assert choice.rejected[0].code is Rejection.BATTERY and not choice.rejected[0].permanent


def test_out_of_range_even_when_full_is_permanent() -> None:
    task = Task(37.80, 122.10)  # 33 km
    choice = choose_drones([drone(1)], task)
    assert choice.rejected[0].code is Rejection.RANGE and choice.hopeless
    assert "out of range" in choice.rejected[0].reason


def _zones(name: str, ring: list[tuple[float, float]]) -> NoFlyZones:
    coords = [[lon, lat] for lat, lon in [*ring, ring[0]]]
    return NoFlyZones.from_geojson({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [coords]}}]})


def test_a_route_through_a_no_fly_zone_is_refused_naming_the_zone() -> None:
    zones = _zones("Weihai airport", [(37.515, 122.09), (37.515, 122.11),
                                      (37.525, 122.11), (37.525, 122.09)])
    behind = Task(37.54, 122.10)
    beside = Task(37.50, 122.13)
    refused = choose_drones([drone(1)], behind, zones).rejected[0]
    assert refused.code is Rejection.NO_FLY and refused.permanent
    assert "Weihai airport" in refused.reason
    assert choose_drones([drone(1)], beside, zones).best is not None
