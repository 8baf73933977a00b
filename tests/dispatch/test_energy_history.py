"""Planned against used energy, recorded after each flight the dispatcher follows on the
built-in simulator (real sockets, a real SQLite file), and the drone's endurance corrected
from that history for the energy check."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from jinghang.dispatch import Task
from jinghang.dispatch.energy_history import flight_energy_of
from jinghang.missions.endurance import endurance_correction
from jinghang.store import IncidentCreate, VehicleUpdate, list_flight_energy, update_vehicle
from tests.dispatch.conftest import World, dispatch_world, near


def records(w: World, drone_id: int = 1) -> list:
    with w.store.read_session() as s:
        return list_flight_energy(s, drone_id)


async def fly_one(w: World, meters_north: float = 250.0) -> int:
    lat, lon = near(meters_north, 100)
    report = await w.dispatcher.report_incident(
        IncidentCreate(playbook_id="P01", latitude_deg=lat, longitude_deg=lon,
                       title="110: fight reported"), actor="operator.li")
    incident_id = report.incident.id
    before = len(records(w))
    await w.sortie_is(incident_id, "landed", timeout_s=120)
    await w.until(lambda: len(records(w)) > before, timeout_s=20, what="the energy record")
    await w.dispatcher.close(incident_id, actor="chief.wang", outcome="resolved")
    return incident_id


async def test_a_flight_on_the_simulator_records_its_plan_against_what_it_used(
        tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        reading = w.dispatcher.energy.reading(1)
        assert reading is not None and reading.source == "vehicle"
        assert reading.capacity_mah == pytest.approx(3300.0)
        incident_id = await fly_one(w)
        [record] = records(w)
    assert record.incident_id == incident_id and record.mission_id is not None
    assert record.completed and record.outcome == "completed"
    assert record.planned_time_s > 60.0
    # flown on the vehicle's own clock (the simulator runs 40 times faster than the wall)
    assert record.flown_time_s is not None
    assert 0.8 < record.flown_time_s / record.planned_time_s < 1.25
    assert record.source == "consumed_mah"
    assert record.consumed_mah is not None and record.consumed_mah > 0
    assert record.energy_wh is not None and record.energy_wh > 0
    assert record.used_pct == pytest.approx(100.0 * record.consumed_mah / 3300.0)
    assert record.planned_pct == pytest.approx(100.0 * record.planned_time_s / 1800.0)
    assert record.skip_code is None
    assert not math.isnan(record.used_pct)


async def test_flights_that_use_more_than_planned_shorten_the_endurance_the_check_uses(
        tmp_path: Path) -> None:
    """The profile says 3000 s; the simulated pack lasts about 1800: after three flights the
    endurance is corrected, and a far scene the drone was offered before is refused."""
    async with dispatch_world(tmp_path, drones=1) as w:
        with w.store.transaction() as s:
            update_vehicle(s, 1, VehicleUpdate(endurance_s=3000.0))
        far = Task(*near(7000, 0), on_scene_s=300.0, altitude_m=60.0, reserve_pct=20.0)
        before = w.dispatcher.choose(far)
        assert [c.drone_id for c in before.candidates] == [1]
        battery = w.sims[0].vehicle.physics.battery
        vehicle = w.fleet.vehicles[1]
        # the first flight on a monitor that measures no current (-1): the percentage counts
        await vehicle.params.set("SIM_BATT_RPT", 0)
        for n in range(3):
            await fly_one(w)
            if n == 0:
                await vehicle.params.set("SIM_BATT_RPT", 1)
            battery.fit_full_pack()
            await vehicle.wait_until(lambda st: st.battery_pct == 100, timeout_s=10)
        flights = records(w)
        after = w.dispatcher.choose(far)
        profile = w.dispatcher.profile(1)
    first = flights[0]
    assert (first.source, first.consumed_mah, first.energy_wh) == ("remaining_pct", None, None)
    assert first.used_pct == first.remaining_before_pct - first.remaining_after_pct
    assert [f.source for f in flights[1:]] == ["consumed_mah", "consumed_mah"]
    assert all(f.skip_code is None and f.used_pct > 1.3 * f.planned_pct for f in flights)
    correction = endurance_correction(3000.0, [flight_energy_of(f) for f in flights])
    assert correction.basis == "history"
    assert 1500.0 < correction.corrected_s < 2200.0
    assert profile.endurance_s == pytest.approx(correction.corrected_s)
    assert not after.candidates
    [refused] = after.rejected
    assert refused.message_code == "drone.out_of_range"
