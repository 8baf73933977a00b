"""What operators and pilots do to a case and its flight: recall, redirect, confirm (two-person
rule), take over, release, cancel, close."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from jinghang.dispatch import HandoverError, TwoPersonRule
from jinghang.missions.errors import AltitudeCeilingError, NoFlyZoneError
from jinghang.missions.nofly import NoFlyZones
from jinghang.store import IncidentCreate, list_audit, list_events, list_missions
from tests.dispatch.conftest import dispatch_world, near


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111_195.0
    dlon = (a[1] - b[1]) * 111_195.0 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def _incident(playbook: str, at: tuple[float, float]) -> IncidentCreate:
    return IncidentCreate(playbook_id=playbook, latitude_deg=at[0], longitude_deg=at[1])


async def test_recall_brings_the_drone_home_and_the_case_stays_open(tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        report = await w.dispatcher.report_incident(_incident("P01", near(500)), actor="op")
        incident_id = report.incident.id
        await w.sortie_is(incident_id, "en_route")
        vehicle = w.fleet.vehicles[1]
        await w.until(lambda: vehicle.state.relative_altitude_m > 10)
        await w.dispatcher.recall(incident_id, actor="chief.wang")
        assert w.sortie(incident_id).state == "returning"
        assert vehicle.state.mode == "RTL"
        await w.sortie_is(incident_id, "landed", timeout_s=90)
        assert "recalled by chief.wang" in w.sortie(incident_id).reason
        assert w.incident(incident_id).state == "open"
        with w.store.read_session() as s:
            (mission,) = list_missions(s, incident_id=incident_id)
        assert mission.state == "aborted"


async def test_redirect_flies_the_playbook_at_the_new_point(tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        report = await w.dispatcher.report_incident(_incident("P01", near(400)), actor="op")
        incident_id = report.incident.id
        await w.sortie_is(incident_id, "en_route")
        vehicle = w.fleet.vehicles[1]
        await w.until(lambda: vehicle.state.relative_altitude_m > 10)
        new_point = near(0, 350)
        redirected = await w.dispatcher.redirect(incident_id, *new_point, actor="chief.wang")
        assert (redirected.latitude_deg, redirected.longitude_deg) == new_point
        await w.sortie_is(incident_id, "on_scene", timeout_s=60)

        def position() -> tuple[float, float]:
            return (vehicle.state.latitude_deg, vehicle.state.longitude_deg)

        assert _metres(position(), new_point) < 120  # orbiting the new point, 60 m out
        assert _metres(position(), near(400)) > 200
        await w.dispatcher.recall(incident_id, actor="chief.wang")
        await w.sortie_is(incident_id, "landed", timeout_s=90)


async def test_a_redirect_into_a_no_fly_zone_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    lat, lon = near(0, 600)
    ring = [[lon - 0.002, lat - 0.002], [lon + 0.002, lat - 0.002], [lon + 0.002, lat + 0.002],
            [lon - 0.002, lat + 0.002], [lon - 0.002, lat - 0.002]]
    zones = NoFlyZones.from_geojson({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "fuel depot"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    async with dispatch_world(tmp_path, drones=1, no_fly=zones) as w:
        report = await w.dispatcher.report_incident(_incident("P01", near(400)), actor="op")
        incident_id = report.incident.id
        await w.sortie_is(incident_id, "en_route")
        with pytest.raises(NoFlyZoneError) as err:
            await w.dispatcher.redirect(incident_id, lat, lon, actor="chief.wang")
        assert err.value.limit == "fuel depot"
        assert (w.incident(incident_id).latitude_deg,
                w.incident(incident_id).longitude_deg) == near(400)
        await w.dispatcher.recall(incident_id, actor="chief.wang")
        await w.sortie_is(incident_id, "landed", timeout_s=90)


async def test_a_playbook_that_asks_waits_for_another_pilot_to_confirm(tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        report = await w.dispatcher.report_incident(_incident("P13", near(150, 50)),
                                                    actor="zhang")
        incident_id = report.incident.id
        assert report.incident.needs_confirmation
        assert report.incident.sorties[0].state == "waiting_pilot"
        assert w.fleet.vehicles[1].state.armed is False
        # the two-person rule: not the user who dispatched, and only with the pilot role
        with pytest.raises(TwoPersonRule) as own:
            await w.dispatcher.confirm(incident_id, actor="zhang", role="pilot")
        assert own.value.status_code == 403
        assert own.value.code == "sortie.confirm_by_dispatcher"
        with pytest.raises(TwoPersonRule) as commander:
            await w.dispatcher.confirm(incident_id, actor="chief.wang", role="commander")
        assert commander.value.code == "sortie.confirm_needs_pilot"
        assert w.sortie(incident_id).state == "waiting_pilot"
        await w.dispatcher.confirm(incident_id, actor="pilot.li", role="pilot")
        await w.sortie_is(incident_id, "en_route", "on_scene", "returning", "landed")
        assert w.incident(incident_id).confirmed_by == "pilot.li"
        assert w.sortie(incident_id).confirmed_by == "pilot.li"
        assert w.sortie(incident_id).dispatched_by == "zhang"
        with w.store.read_session() as s:
            (entry,) = [a for a in list_audit(s, limit=1000) if a.action == "incident.confirm"]
        assert entry.actor == "pilot.li" and entry.details["dispatched_by"] == "zhang"
        await w.sortie_is(incident_id, "landed", timeout_s=90)


async def test_a_pilot_takes_over_flies_by_hand_and_releases_to_resume(tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        report = await w.dispatcher.report_incident(_incident("P01", near(400)), actor="op")
        incident_id = report.incident.id
        vehicle = w.fleet.vehicles[1]
        await w.sortie_is(incident_id, "en_route")
        await w.until(lambda: vehicle.state.relative_altitude_m > 20)
        await w.dispatcher.take_over(1, actor="pilot.zhang")
        assert vehicle.state.mode in ("BRAKE", "LOITER")
        (flight,) = w.dispatcher.active_flights()
        assert flight["handed_over_to"] == "pilot.zhang"
        resume_seq = w.dispatcher.flights[1].resume_seq

        with pytest.raises(HandoverError):
            await w.dispatcher.pilot_goto(1, *near(100, 100), 40.0, actor="pilot.li")
        with pytest.raises(AltitudeCeilingError):
            await w.dispatcher.pilot_goto(1, *near(100, 100), 500.0, actor="pilot.zhang")
        with pytest.raises(HandoverError):
            await w.dispatcher.redirect(incident_id, *near(0, 300), actor="chief.wang")

        by_hand = near(150, 150)
        await w.dispatcher.pilot_goto(1, *by_hand, 40.0, actor="pilot.zhang")
        await w.until(lambda: _metres((vehicle.state.latitude_deg, vehicle.state.longitude_deg),
                                      by_hand) < 15, timeout_s=60)
        assert w.sortie(incident_id).state == "en_route"  # the sortie waits for the pilot

        await w.dispatcher.release(1, actor="pilot.zhang")
        assert vehicle.state.mode == "AUTO"
        assert vehicle.state.mission_current_seq == resume_seq
        await w.sortie_is(incident_id, "on_scene", timeout_s=60)
        await w.sortie_is(incident_id, "landed", timeout_s=90)
        with w.store.read_session() as s:
            mission_states = [e.to_state for e in list_events(s, incident_id=incident_id)
                              if e.kind == "mission.state"]
        assert "paused" in mission_states and mission_states[-1] == "completed"


async def test_cancelling_a_waiting_case_frees_its_drone_and_a_cancelled_one_stays_so(
    tmp_path: Path,
) -> None:
    from jinghang.dispatch import CaseNotOpen
    from jinghang.errors import DispatchError

    async with dispatch_world(tmp_path, drones=1) as w:
        held = await w.dispatcher.report_incident(_incident("P13", near(150)), actor="op")
        assert held.incident.sorties[0].state == "waiting_pilot"
        waiting = await w.dispatcher.report_incident(_incident("P18", near(100)), actor="op")
        assert waiting.incident.sorties[0].state == "planned"
        assert "busy with incident" in waiting.incident.reason

        cancelled = await w.dispatcher.cancel(held.incident.id, actor="chief.wang",
                                              reason="caller rescued by a boat")
        assert cancelled.state == "cancelled" and cancelled.reason == "caller rescued by a boat"
        assert cancelled.sorties[0].state == "aborted"
        # the freed drone goes to the case that waited (it too waits for a pilot)
        await w.sortie_is(waiting.incident.id, "waiting_pilot")
        assert w.sortie(waiting.incident.id).drone_id == 1

        with pytest.raises(DispatchError):
            await w.dispatcher.confirm(held.incident.id, actor="pilot.zhang")
        with pytest.raises(CaseNotOpen) as err:
            await w.dispatcher.cancel(held.incident.id, actor="chief.wang")
        assert err.value.field == "incident_id"
        await w.dispatcher.cancel(waiting.incident.id, actor="chief.wang")
        assert w.fleet.vehicles[1].state.armed is False
        assert w.dispatcher.busy == {}


async def test_a_recall_asked_during_the_launch_sends_the_drone_home_once_started(
    tmp_path: Path,
) -> None:
    async with dispatch_world(tmp_path, drones=1) as w:
        report = await w.dispatcher.report_incident(_incident("P01", near(400)), actor="op")
        incident_id = report.incident.id
        assert report.incident.sorties[0].state == "planned"  # the launch is under way
        await w.dispatcher.cancel(incident_id, actor="chief.wang", reason="false alarm")
        assert w.incident(incident_id).state == "cancelled"
        await w.sortie_is(incident_id, "landed", timeout_s=90)
        assert "recalled by chief.wang" in w.sortie(incident_id).reason
        assert w.fleet.vehicles[1].state.armed is False
        assert w.dispatcher.busy == {}
