"""Too few drones: incidents queue by priority; refusals move on to the next drone;
incidents no drone can fly are refused with the reason."""

from __future__ import annotations

from pathlib import Path

from jinghang.missions.nofly import NoFlyZones
from jinghang.store import IncidentCreate, list_events
from tests.dispatch.conftest import dispatch_world, near


def _incident(playbook: str, at: tuple[float, float], priority: int | None = None
              ) -> IncidentCreate:
    return IncidentCreate(playbook_id=playbook, latitude_deg=at[0], longitude_deg=at[1],
                          priority=priority)


async def test_with_one_drone_free_the_queue_is_served_most_urgent_first(tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        first = await w.dispatcher.report_incident(_incident("P05", near(200), 4), actor="op")
        await w.state_is(first.incident.id, "en_route", "on_scene")
        routine = await w.dispatcher.report_incident(_incident("P05", near(150, 80), 3),
                                                     actor="op")
        urgent = await w.dispatcher.report_incident(_incident("P05", near(120, -60), 1),
                                                    actor="op")
        assert routine.incident.state == "queued" and urgent.incident.state == "queued"
        assert "busy with incident" in w.incident(routine.incident.id).reason
        assert [q["incident_id"] for q in w.dispatcher.queue()] == [
            urgent.incident.id, routine.incident.id]
        await w.state_is(first.incident.id, "closed", timeout_s=90)
        await w.state_is(urgent.incident.id, "launching", "en_route", "on_scene", timeout_s=30)
        assert w.incident(routine.incident.id).state == "queued"
        await w.state_is(urgent.incident.id, "closed", timeout_s=90)
        await w.state_is(routine.incident.id, "closed", timeout_s=120)
        await w.settle()
    launches = [e["id"] for e in w.events if e["topic"] == "incident" and e["state"] == "launching"]
    assert launches == [first.incident.id, urgent.incident.id, routine.incident.id]


async def test_a_drone_that_refuses_to_arm_is_set_aside_and_the_next_one_flies(
    tmp_path: Path,
) -> None:
    async with dispatch_world(tmp_path, drones=2) as w:
        await w.fleet.vehicles[1].params.set("BATT_ARM_VOLT", 99.0)
        report = await w.dispatcher.report_incident(_incident("P05", near(200, 0)), actor="op")
        assert report.choice is not None and report.choice.best is not None
        assert report.choice.best.system_id == 1  # the nearest is tried first
        incident_id = report.incident.id
        await w.state_is(incident_id, "en_route", "on_scene", timeout_s=30)
        assert w.incident(incident_id).vehicle_system_id == 2
        with w.store.read_session() as s:
            steps = [(e.to_state, e.message) for e in list_events(s, incident_id=incident_id)
                     if e.kind == "incident.state"]
        refused = [m for state, m in steps if state == "queued"]
        assert refused and "vehicle 1 refused" in refused[0] and "arm" in refused[0]
        await w.settle()
        assert any(a["topic"] == "alert" and "trying the next drone" in a["message"]
                   for a in w.events)
        await w.state_is(incident_id, "closed", timeout_s=90)


def _zone_doc(name: str, centre: tuple[float, float], half_deg: float) -> NoFlyZones:
    lat, lon = centre
    ring = [[lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg],
            [lon + half_deg, lat + half_deg], [lon - half_deg, lat + half_deg],
            [lon - half_deg, lat - half_deg]]
    return NoFlyZones.from_geojson({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]})


async def test_incidents_no_drone_can_fly_are_refused_or_queued_with_the_reason(
    tmp_path: Path,
) -> None:
    zones = _zone_doc("prison", near(600, 0), 0.002)
    async with dispatch_world(tmp_path, drones=1, no_fly=zones,
                              payloads=[["camera", "zoom"]]) as w:
        inside = await w.dispatcher.report_incident(_incident("P01", near(600, 0)), actor="op")
        assert inside.incident.state == "failed"
        assert "inside the no-fly zone prison" in inside.incident.reason
        behind = await w.dispatcher.report_incident(_incident("P01", near(1200, 0)),
                                                    actor="op")
        assert behind.incident.state == "failed"
        assert "crosses the no-fly zone prison" in behind.incident.reason
        far = await w.dispatcher.report_incident(_incident("P01", near(0, 40_000)), actor="op")
        assert far.incident.state == "failed" and "out of range" in far.incident.reason
        thermal = await w.dispatcher.report_incident(_incident("P14", near(200, 200)),
                                                     actor="op")
        assert thermal.incident.state == "failed"
        assert "does not carry thermal" in thermal.incident.reason
        assert w.fleet.vehicles[1].state.armed is False  # nothing left for the drone
        await w.settle()
        alerts = [e["message"] for e in w.events if e["topic"] == "alert"]
        assert any("prison" in a for a in alerts)
