"""Every playbook's default parameters fly on the demo fleet (jinghang.api.demo.DEMO_DRONES,
a 25-30 minute police multirotor) from a point report 1-3 km away: its work cut into parts
that each pass drone choice and the safety checks (energy with the reserve) on a full
battery; area work longer than one battery is split into strips that cover the whole area,
watch work into relief shifts planned to arrive before the one before must leave; an area
playbook with a point only and no default area is refused with the field. No sockets."""

from __future__ import annotations

import itertools
import math

import pytest

from jinghang.api.demo import DEMO_DRONES, DemoDrone
from jinghang.dispatch.board import task_for
from jinghang.dispatch.planning import (
    DroneProfile,
    Limits,
    needs_area,
    plan_incident_flight,
    require_area,
    work_kind,
    work_parts,
)
from jinghang.dispatch.playbooks import AreaRequired, Playbook, load_playbooks, parse_playbook
from jinghang.dispatch.selection import Candidate, DroneStatus, assess
from jinghang.missions.geo import destination
from jinghang.missions.split import split_area, watch_shifts

PLAYBOOKS = list(load_playbooks())
LIMITS = Limits()


def _profile(d: DemoDrone, endurance_s: float) -> DroneProfile:
    return DroneProfile(d.drone_id, (d.latitude_deg, d.longitude_deg, d.altitude_amsl_m),
                        100.0, endurance_s=endurance_s)


def _status(profile: DroneProfile, payloads: tuple[str, ...]) -> DroneStatus:
    return DroneStatus(
        drone_id=profile.drone_id, name=f"demo-{profile.drone_id}",
        latitude_deg=profile.home[0], longitude_deg=profile.home[1],
        base_latitude_deg=profile.home[0], base_longitude_deg=profile.home[1],
        battery_pct=100.0, payloads=frozenset(payloads),
        cruise_speed_m_s=profile.cruise_speed_m_s, endurance_s=profile.endurance_s,
    )


def _polygon_area(poly: list[list[float]]) -> float:
    pairs = zip(poly, poly[1:] + poly[:1], strict=True)
    return abs(sum(a[1] * b[0] - b[1] * a[0] for a, b in pairs)) / 2


def test_the_shipped_file_has_nineteen_playbooks() -> None:
    assert [p.id for p in PLAYBOOKS] == [f"P{n:02d}" for n in range(1, 20)]


@pytest.mark.parametrize("endurance_s", [25 * 60.0, 30 * 60.0])
@pytest.mark.parametrize("distance_m", [1000.0, 3000.0])
@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.id)
def test_every_playbook_flies_on_the_demo_fleet_in_battery_sized_parts(
    playbook: Playbook, distance_m: float, endurance_s: float
) -> None:
    fit = [d for d in DEMO_DRONES if set(playbook.payloads) <= set(d.payloads)]
    assert fit, f"no demo drone carries {playbook.payloads}"
    for drone in fit:
        profile = _profile(drone, endurance_s)
        point = destination((drone.latitude_deg, drone.longitude_deg), 30.0, distance_m)
        parts = work_parts(playbook, point, profile, limits=LIMITS)
        assert parts and [p.index for p in parts] == list(range(len(parts)))
        for part in parts:
            verdict = assess(_status(profile, drone.payloads),
                             task_for(playbook, point, LIMITS, part))
            assert isinstance(verdict, Candidate), (playbook.id, drone.name, part, verdict)
            plan = plan_incident_flight(playbook, point, profile, limits=LIMITS,
                                        part=part)
            assert plan.energy_pct + LIMITS.reserve_pct <= 100.0


def test_area_work_longer_than_a_battery_is_split_into_strips_covering_the_area() -> None:
    p16 = load_playbooks().get("P16")
    drone = DEMO_DRONES[0]
    short = DroneProfile(1, (drone.latitude_deg, drone.longitude_deg, 5.0), 100.0,
                         endurance_s=20 * 60.0)
    point = destination((drone.latitude_deg, drone.longitude_deg), 30.0, 1000.0)
    whole = work_parts(p16, point, DroneProfile(1, short.home, 100.0, endurance_s=3600.0),
                       limits=LIMITS)
    parts = work_parts(p16, point, short, limits=LIMITS)
    assert len(whole) == 1 and len(parts) >= 2
    assert all(p.kind == "area" and p.area for p in parts)
    covered = sum(_polygon_area(p.area or []) for p in parts)
    assert covered == pytest.approx(_polygon_area(whole[0].area or []), rel=1e-6)
    for part in parts:
        plan_incident_flight(p16, point, short, limits=LIMITS, part=part)


def test_long_watch_is_handed_from_drone_to_drone_before_the_first_must_leave() -> None:
    p10 = load_playbooks().get("P10")  # 900 s of hovering
    drone = DEMO_DRONES[0]
    profile = DroneProfile(1, (drone.latitude_deg, drone.longitude_deg, 5.0), 100.0,
                           endurance_s=25 * 60.0)
    point = destination((drone.latitude_deg, drone.longitude_deg), 30.0, 3000.0)
    parts = work_parts(p10, point, profile, limits=LIMITS)
    assert len(parts) >= 2 and all(p.kind == "watch" for p in parts)
    last = parts[-1]
    assert last.start_after_s + float(last.params["duration_s"]) == pytest.approx(900.0, abs=1)
    for before, after in itertools.pairwise(parts):
        # the relief launches before the one it relieves has finished its watch
        assert after.start_after_s < before.start_after_s + float(before.params["duration_s"])
    shifts = watch_shifts(1000.0, 400.0, 60.0)
    assert [round(s.duration_s, 1) for s in shifts] == [373.3] * 3
    assert [round(s.start_s, 1) for s in shifts] == [0.0, 313.3, 626.7]


def test_strips_of_a_square_are_equal_and_fill_it() -> None:
    square = [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]]
    strips = split_area(square, 4)
    assert len(strips) == 4
    assert [round(_polygon_area(s), 6) for s in strips] == [0.25] * 4
    assert math.isclose(sum(_polygon_area(s) for s in strips), 1.0)


def test_an_area_playbook_without_a_default_area_is_refused_naming_the_field() -> None:
    entry = next(p for p in PLAYBOOKS if p.id == "P04").to_dict()
    entry["search_box_m"] = None
    bare = parse_playbook(entry, "playbooks[0]")
    assert needs_area(bare) and work_kind(bare) == "area"
    with pytest.raises(AreaRequired) as err:
        require_area(bare, None)
    assert err.value.status_code == 422
    assert err.value.field == "area" and err.value.to_dict()["code"] == "incident.area_required"
    require_area(bare, [[37.5, 122.1], [37.5, 122.11], [37.51, 122.11]])
    for playbook in PLAYBOOKS:  # every shipped area playbook has its default area
        require_area(playbook, None)
        if needs_area(playbook):
            assert playbook.search_box_m
