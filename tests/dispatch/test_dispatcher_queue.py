"""Too few drones: waiting sorties are served by priority; refusals move on to the next drone;
a case no drone can take stays open and unassigned with every drone's reason."""

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
        await w.sortie_is(first.incident.id, "en_route", "on_scene")
        routine = await w.dispatcher.report_incident(_incident("P05", near(150, 80), 3),
                                                     actor="op")
        urgent = await w.dispatcher.report_incident(_incident("P05", near(120, -60), 1),
                                                    actor="op")
        for waiting in (routine, urgent):
            assert waiting.incident.state == "open"
            assert waiting.incident.sorties[0].state == "planned"
            assert [r["code"] for r in waiting.incident.unassigned or []] == ["drone.busy"]
        assert "busy with incident" in w.incident(routine.incident.id).reason
        assert [q["incident_id"] for q in w.dispatcher.queue()] == [
            urgent.incident.id, routine.incident.id]
        await w.sortie_is(first.incident.id, "landed", timeout_s=90)
        await w.sortie_is(urgent.incident.id, "launching", "en_route", "on_scene", timeout_s=30)
        assert w.sortie(routine.incident.id).state == "planned"
        await w.sortie_is(urgent.incident.id, "landed", timeout_s=90)
        await w.sortie_is(routine.incident.id, "landed", timeout_s=120)
        await w.settle()
    launches = [e["incident_id"] for e in w.events
                if e["topic"] == "sortie" and e.get("state") == "launching"]
    assert launches == [first.incident.id, urgent.incident.id, routine.incident.id]


async def test_a_drone_that_refuses_to_arm_is_set_aside_and_the_next_one_flies(
    tmp_path: Path,
) -> None:
    async with dispatch_world(tmp_path, drones=2) as w:
        await w.fleet.vehicles[1].params.set("BATT_ARM_VOLT", 99.0)
        report = await w.dispatcher.report_incident(_incident("P05", near(200, 0)), actor="op")
        assert report.choice is not None and report.choice.best is not None
        assert report.choice.best.drone_id == 1  # the nearest is tried first
        incident_id = report.incident.id
        await w.sortie_is(incident_id, "en_route", "on_scene", timeout_s=30)
        refused, flying = w.incident(incident_id).sorties
        assert (refused.state, refused.drone_id) == ("failed", 1)
        assert refused.code == "sortie.launch_refused"
        assert "vehicle 1 refused" in refused.reason and "arm" in refused.reason
        assert flying.drone_id == 2
        with w.store.read_session() as s:
            steps = [(e.to_state, e.message) for e in list_events(s, incident_id=incident_id)
                     if e.kind == "sortie.state"]
        assert ("failed", refused.reason) in steps
        await w.settle()
        assert any(e["topic"] == "sortie" and e.get("code") == "sortie.launch_refused"
                   and e["drone_id"] == 1 for e in w.events)
        await w.sortie_is(incident_id, "landed", timeout_s=90)
        assert w.incident(incident_id).state == "open"


def _zone_doc(name: str, centre: tuple[float, float], half_deg: float) -> NoFlyZones:
    lat, lon = centre
    ring = [[lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg],
            [lon + half_deg, lat + half_deg], [lon - half_deg, lat + half_deg],
            [lon - half_deg, lat - half_deg]]
    return NoFlyZones.from_geojson({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]})


async def test_cases_no_drone_can_take_stay_open_and_unassigned_with_the_reason(
    tmp_path: Path,
) -> None:
    zones = _zone_doc("prison", near(600, 0), 0.002)
    async with dispatch_world(tmp_path, drones=1, no_fly=zones,
                              payloads=[["camera", "zoom"]]) as w:

        def why(report: object) -> dict[str, object]:
            case = w.incident(report.incident.id)  # type: ignore[attr-defined]
            assert case.state == "open" and case.sorties[0].state == "planned"
            (reason,) = case.unassigned or []
            return reason

        inside = await w.dispatcher.report_incident(_incident("P01", near(600, 0)), actor="op")
        assert why(inside)["code"] == "drone.in_no_fly_zone"
        assert why(inside)["params"] == {"zone": "prison"}
        assert "inside the no-fly zone prison" in inside.incident.reason
        behind = await w.dispatcher.report_incident(_incident("P01", near(1200, 0)),
                                                    actor="op")
        assert why(behind)["code"] == "drone.in_no_fly_zone"
        assert "crosses the no-fly zone prison" in behind.incident.reason
        far = await w.dispatcher.report_incident(_incident("P01", near(0, 40_000)), actor="op")
        assert why(far)["code"] == "drone.out_of_range" and "out of range" in far.incident.reason
        thermal = await w.dispatcher.report_incident(_incident("P14", near(200, 200)),
                                                     actor="op")
        assert why(thermal)["code"] == "drone.missing_payload"
        assert why(thermal)["params"] == {"payloads": ["thermal"]}
        assert "does not carry thermal" in thermal.incident.reason
        assert w.fleet.vehicles[1].state.armed is False  # nothing left for the drone
        assert len(w.dispatcher.queue()) == 4
        await w.settle()
        unassigned = {e["case_id"] for e in w.events if e.get("code") == "case.unassigned"}
        assert unassigned == {r.incident.id for r in (inside, behind, far, thermal)}
