"""Planned against used energy, recorded after each flight the dispatcher follows on the
built-in simulator (real sockets, a real SQLite file), and the drone's endurance corrected
from that history for the energy check."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from jinghang.store import IncidentCreate, list_flight_energy
from tests.dispatch.conftest import World, dispatch_world, near


def records(w: World, system_id: int = 1) -> list:
    with w.store.read_session() as s:
        return list_flight_energy(s, system_id)


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
