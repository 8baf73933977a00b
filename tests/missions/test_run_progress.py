"""The progress maths of a mission run (pure): time to go along a straight leg only falls,
on the way home it is the distance to home, and drone choice's ETA is the card's figure at
launch for the same drone and place."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from jinghang.dispatch.planning import DroneProfile, Limits, plan_incident_flight
from jinghang.dispatch.playbooks import load_playbooks
from jinghang.dispatch.selection import DroneStatus, Task, assess
from jinghang.missions.geo import destination
from jinghang.missions.progress import Phase, Route, measure, return_seq, scene_seq

BASE = (37.5125, 122.1199)


@dataclass
class State:
    latitude_deg: float
    longitude_deg: float
    relative_altitude_m: float
    mission_current_seq: int | None
    ground_speed_m_s: float = 0.0
    link_lost: bool = False


def p01_north(distance_m: float) -> tuple[Route, tuple[float, float]]:
    point = destination(BASE, 0.0, distance_m)
    plan = plan_incident_flight(load_playbooks().get("P01"), point,
                                DroneProfile(1, (BASE[0], BASE[1], 10.0), 100.0),
                                limits=Limits())
    route = Route.of(plan.items, BASE, speed_m_s=10.0, scene_seq=scene_seq(plan.items),
                     return_seq=return_seq(plan.items))
    return route, point


def test_time_to_the_scene_only_falls_along_the_way_out() -> None:
    route, _ = p01_north(1500.0)
    scene = route.scene_seq
    samples = [measure(route, Phase.LAUNCHING, State(*BASE, 0.0, None))]
    samples += [measure(route, Phase.EN_ROUTE, State(*BASE, alt, 0)) for alt in (5, 30, 60)]
    for flown_m in range(0, 1440, 40):
        here = destination(BASE, 0.0, float(flown_m))
        samples.append(measure(route, Phase.EN_ROUTE, State(*here, 60.0, scene)))
    times = [s.time_to_scene_s for s in samples]
    assert all(t is not None for t in times)
    assert all(b <= a for a, b in itertools.pairwise(times))  # type: ignore[operator]
    assert samples[0].time_to_scene_s > 140  # type: ignore[operator]  # 60 m climb + 1440 m
    assert samples[-1].time_to_scene_s < 5  # type: ignore[operator]
    assert [s.to_go_target for s in samples] == ["scene"] * len(samples)
    assert samples[-1].leg_index == 0


def test_on_the_way_home_the_figure_is_the_distance_to_home() -> None:
    route, _point = p01_north(1000.0)
    here = destination(BASE, 0.0, 1000.0)
    p = measure(route, Phase.RETURNING, State(*here, 60.0, route.return_seq))
    assert p.to_go_target == "home" and p.time_to_scene_s is None
    assert 990 < p.distance_to_go_m < 1010
    assert p.time_to_go_s > 100  # 1 km at 10 m/s and the descent
    assert p.fraction < 1.0
    landed = measure(route, Phase.LANDED, State(*BASE, 0.0, route.return_seq))
    assert (landed.distance_home_m, landed.fraction) == (0.0, 1.0)


def test_the_proposal_eta_is_the_cards_time_to_the_scene_at_launch() -> None:
    route, point = p01_north(1200.0)
    playbook = load_playbooks().get("P01")
    drone = DroneStatus(1, "JH-1", *BASE, *BASE, 100.0, frozenset({"camera", "zoom"}))
    candidate = assess(drone, Task(*point, frozenset(), altitude_m=playbook.altitude_m,
                                   standoff_m=playbook.standoff_m))
    card = measure(route, Phase.LAUNCHING, State(*BASE, 0.0, None))
    assert hasattr(candidate, "eta_s")
    assert abs(candidate.eta_s - card.time_to_scene_s) < 1.0  # type: ignore[operator, union-attr]


def test_a_relief_is_due_when_the_watcher_must_leave_before_it_can_arrive() -> None:
    from jinghang.missions.progress import must_leave_in_s, relief_due, travel_time_s

    home_s = travel_time_s(1000.0, 10.0, descent_m=60.0)
    full = must_leave_in_s(battery_pct=90.0, reserve_pct=20.0, endurance_s=1800.0,
                           home_time_s=home_s)
    low = must_leave_in_s(battery_pct=30.0, reserve_pct=20.0, endurance_s=1800.0,
                          home_time_s=home_s)
    assert round(full) == round(1800 * 0.7 - 140)  # 100 s home and a 40 s descent
    eta_s = travel_time_s(1000.0, 10.0, climb_m=60.0)
    assert not relief_due(full, eta_s, 60.0)
    assert relief_due(low, eta_s, 60.0)  # 40 s left: the relief needs 124 s and the overlap
