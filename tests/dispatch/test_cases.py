"""The board's decisions, without sockets, a simulator or a store: which waiting sortie gets
which drone, or why none can (codes and parameters for every drone), most urgent first; a drone
that refused is set aside for a while; a drone landed away from its base is never proposed and
its range never counted from where it sits."""

from __future__ import annotations

import datetime as dt

from jinghang.dispatch.board import (
    Assign,
    Demand,
    Unassigned,
    decide,
    reasons_changed,
    serving_order,
)
from jinghang.dispatch.planning import DroneProfile, Limits
from jinghang.dispatch.playbooks import load_playbooks
from jinghang.dispatch.selection import DroneStatus
from jinghang.missions.nofly import NoFlyZones
from jinghang.simulator.geo import offset_deg

BASE = (37.5125, 122.1199)
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
LIMITS = Limits(altitude_ceiling_m=120.0, reserve_pct=20.0)
PLAYBOOKS = load_playbooks()


def near(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    return offset_deg(BASE[0], BASE[1], north_m, east_m)


def drone(drone_id: int, *, at: tuple[float, float] = BASE, **kw: object) -> DroneStatus:
    values: dict[str, object] = dict(
        drone_id=drone_id, name=f"JH-{drone_id}", latitude_deg=at[0], longitude_deg=at[1],
        base_latitude_deg=BASE[0], base_longitude_deg=BASE[1], battery_pct=100.0,
        payloads=frozenset({"camera", "zoom", "thermal", "loudspeaker", "release"}),
        cruise_speed_m_s=10.0, endurance_s=1800.0,
    )
    values.update(kw)
    return DroneStatus(**values)  # type: ignore[arg-type]


def profiles(drones: list[DroneStatus]) -> object:
    by_id = {d.drone_id: d for d in drones}

    def profile_of(drone_id: int) -> DroneProfile:
        d = by_id[drone_id]
        return DroneProfile(drone_id=drone_id,
                            home=(d.base_latitude_deg, d.base_longitude_deg, 10.0),
                            battery_pct=float(d.battery_pct or 0.0),
                            cruise_speed_m_s=d.cruise_speed_m_s, endurance_s=d.endurance_s)

    return profile_of


def demand(case_id: int, playbook: str = "P01", at: tuple[float, float] | None = None,
           priority: int | None = None) -> Demand:
    pb = PLAYBOOKS.get(playbook)
    return Demand(case_id, case_id * 10, pb, at or near(300, 100),
                  priority if priority is not None else pb.priority, None, "chief.wang")


def run(d: Demand, drones: list[DroneStatus], **kw: object) -> Assign | Unassigned:
    return decide(d, drones, limits=LIMITS, no_fly=kw.pop("no_fly", NoFlyZones()),  # type: ignore[arg-type]
                  profile_of=profiles(drones), now=kw.pop("now", NOW), **kw)  # type: ignore[arg-type]


def test_the_nearest_free_drone_is_assigned_with_its_checked_first_flight() -> None:
    drones = [drone(1, at=near(0, 2000)), drone(2)]
    decision = run(demand(1), drones)
    assert isinstance(decision, Assign)
    assert decision.candidate.drone_id == 2
    assert decision.plan.items  # planned and checked from that drone's home
    assert [c.drone_id for c in decision.choice.candidates] == [2, 1]


def test_no_drone_free_gives_every_drones_reason_as_code_and_parameters() -> None:
    drones = [
        drone(1, busy_with="incident 4"),
        drone(2, battery_pct=30.0),
        drone(3, link_ok=False),
        drone(4, payloads=frozenset({"thermal"})),
    ]
    decision = run(demand(7), drones)
    assert isinstance(decision, Unassigned)
    by_drone = {r["drone_id"]: r for r in decision.reasons}
    assert by_drone[1]["code"] == "drone.busy"
    assert by_drone[1]["params"] == {"busy_with": "incident 4"}
    assert by_drone[2]["code"] == "drone.battery_short"
    assert by_drone[2]["params"]["battery_pct"] == 30
    assert by_drone[2]["params"]["reserve_pct"] == 20
    assert by_drone[3]["code"] == "drone.link_lost"
    assert by_drone[4]["code"] == "drone.missing_payload"
    assert by_drone[4]["params"] == {"payloads": ["camera"]}
    assert all(r["drone"] == f"JH-{sid}" and r["reason"] for sid, r in by_drone.items())
    assert decision.reason.startswith("waiting for a drone: JH-1: busy with incident 4")


def test_out_of_range_names_the_distance_and_the_energy_needed() -> None:
    decision = run(demand(2, at=near(0, -40_000)), [drone(1)])
    assert isinstance(decision, Unassigned)
    (why,) = decision.reasons
    assert why["code"] == "drone.out_of_range"
    assert why["params"]["distance_m"] > 39_000
    assert why["params"]["needed_pct"] > 80 and why["params"]["reserve_pct"] == 20


def test_a_point_inside_a_no_fly_zone_is_refused_for_every_drone_naming_the_zone() -> None:
    lat, lon = near(600, 0)
    ring = [[lon - 0.002, lat - 0.002], [lon + 0.002, lat - 0.002], [lon + 0.002, lat + 0.002],
            [lon - 0.002, lat + 0.002], [lon - 0.002, lat - 0.002]]
    zones = NoFlyZones.from_geojson({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "prison"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    decision = run(demand(3, at=(lat, lon)), [drone(1), drone(2)], no_fly=zones)
    assert isinstance(decision, Unassigned)
    assert [(r["code"], r["params"]) for r in decision.reasons] == [
        ("drone.in_no_fly_zone", {"zone": "prison"})] * 2


def test_a_drone_landed_away_is_never_proposed_even_next_to_the_scene() -> None:
    street = near(300, 100)
    drones = [drone(1, at=street, landed_away=True), drone(2, at=near(0, 1500))]
    decision = run(demand(4, at=near(310, 100)), drones)
    assert isinstance(decision, Assign) and decision.candidate.drone_id == 2
    (rejected,) = decision.choice.rejected
    assert rejected.message_code == "drone.landed_away" and rejected.params == {}
    alone = run(demand(4, at=near(310, 100)), drones[:1])
    assert isinstance(alone, Unassigned)
    assert [r["code"] for r in alone.reasons] == ["drone.landed_away"]


def test_a_drone_that_refused_is_set_aside_until_its_time_and_a_named_drone_only() -> None:
    drones = [drone(1), drone(2, at=near(0, 500))]
    d = demand(5)
    d.set_aside[1] = NOW + dt.timedelta(seconds=120)
    decision = run(d, drones)
    assert isinstance(decision, Assign) and decision.candidate.drone_id == 2
    later = run(d, drones, now=NOW + dt.timedelta(seconds=121))
    assert isinstance(later, Assign) and later.candidate.drone_id == 1
    named = run(demand(5), drones, only=2)
    assert isinstance(named, Assign) and named.candidate.drone_id == 2
    unknown = run(demand(5), drones, only=9)
    assert isinstance(unknown, Unassigned) and unknown.reasons[0]["code"] == "case.no_drones"


def test_waiting_sorties_are_served_most_urgent_then_oldest_first() -> None:
    routine = demand(1, "P09")
    urgent = demand(3, "P02")
    older_same = demand(2, "P01")
    assert [d.case_id for d in serving_order([routine, urgent, older_same])] == [3, 2, 1]


def test_unassigned_is_published_again_only_when_who_or_why_changes() -> None:
    busy = [{"drone_id": 1, "code": "drone.busy", "params": {"busy_with": "incident 1"}}]
    charging = [{"drone_id": 1, "code": "drone.battery_short", "params": {"battery_pct": 40}}]
    later = [{"drone_id": 1, "code": "drone.battery_short", "params": {"battery_pct": 45}}]
    assert reasons_changed([], busy) and reasons_changed(busy, charging)
    assert not reasons_changed(charging, later)
