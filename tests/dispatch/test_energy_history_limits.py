"""The vehicle's own limits, read from it before the energy check of a dispatch: a simulated
drone whose lean angle is limited to 20 degrees and climbs at 1 m/s is checked and planned on
those limits (not ArduCopter's defaults), its registered cruise speed above what it can fly is
clamped with a coded alert, and the items of its mission that ask for more than it can fly
are announced with the estimate's code when it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinghang.dispatch import Task
from jinghang.dispatch.selection import distance_m
from jinghang.missions.vehicle_limits import lean_speed_cap_m_s
from jinghang.simulator import SimulatorServer
from jinghang.store import IncidentCreate, VehicleUpdate, update_vehicle
from tests.dispatch.conftest import BASE, SPEEDUP, dispatch_world, near

LIMITED = {"ANGLE_MAX": 2000.0, "WPNAV_SPEED_UP": 100.0, "WPNAV_SPEED_DN": 100.0}


async def test_the_energy_check_uses_the_limits_read_from_the_vehicle(tmp_path: Path) -> None:
    async with SimulatorServer(home=(BASE[0], BASE[1], 10.0, 0.0), speedup=SPEEDUP,
                               tcp_port=0, params=LIMITED) as sim, \
            dispatch_world(tmp_path, sims=[sim]) as w:
        with w.store.transaction() as s:
            update_vehicle(s, 1, VehicleUpdate(cruise_speed_m_s=15.0))
        cached = w.dispatcher.energy.limits(1)
        assert cached is not None
        assert (cached.angle_max_deg, cached.climb_m_s, cached.descent_m_s) == (20.0, 1.0, 1.0)
        flyable = lean_speed_cap_m_s(20.0)
        assert flyable < 9.0
        point = near(2000, 0)
        task = Task(*point, on_scene_s=300.0, altitude_m=60.0, reserve_pct=20.0)
        [candidate] = w.dispatcher.choose(task).candidates
        here = (w.fleet.vehicles[1].state.latitude_deg, w.fleet.vehicles[1].state.longitude_deg)
        # climbing 60 m at 1 m/s and cruising at the flyable speed, not 2.5 m/s and 15 m/s
        assert candidate.eta_s == pytest.approx(60.0 / 1.0 + distance_m(here, point) / flyable,
                                                rel=0.02)
        await w.settle()
        clamped = [e for e in w.events if e["topic"] == "alert"
                   and e.get("code") == "drone.cruise_speed_clamped"]
        assert clamped and clamped[0]["params"]["cruise_speed_m_s"] == 15.0
        assert clamped[0]["params"]["flyable_m_s"] == pytest.approx(flyable, abs=0.01)
        profile = w.dispatcher.profile(1)
        assert profile.limits == cached
        # a flight: the playbook's 10 m/s is more than this drone flies
        lat, lon = near(250, 100)
        report = await w.dispatcher.report_incident(
            IncidentCreate(playbook_id="P01", latitude_deg=lat, longitude_deg=lon,
                           title="110: fight reported"), actor="operator.li")
        await w.sortie_is(report.incident.id, "en_route", "on_scene", timeout_s=60)

        def speed_alerts() -> list[dict]:
            return [e for e in w.events if e["topic"] == "alert"
                    and e.get("code") == "estimate.speed_clamped"]

        await w.until(lambda: bool(speed_alerts()), timeout_s=30, what="the speed alert")
        [alert] = speed_alerts()
    assert alert["drone_id"] == 1 and alert["mission_id"] is not None
    assert alert["params"]["planned_m_s"] == 10.0
    assert alert["params"]["flyable_m_s"] == pytest.approx(flyable, abs=0.01)
    assert alert["params"]["angle_max_deg"] == 20.0
    assert isinstance(alert["params"]["item"], int)
