"""The server stops in the middle of a flight and starts again: the dispatcher rebuilds its
cases, sorties and flights from the store and the links, and follows the flight to its end."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from jinghang.simulator import SimulatorServer
from jinghang.store import (
    IncidentCreate,
    VehicleStatus,
    get_vehicle,
    list_audit,
    list_events,
    list_track_points,
)
from tests.dispatch.conftest import BASE, SPEEDUP, World, dispatch_world, near


async def test_a_restart_mid_flight_keeps_cases_and_sorties_and_follows_the_flight(
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        sim = await stack.enter_async_context(
            SimulatorServer(home=(BASE[0], BASE[1], 10.0, 0.0), speedup=SPEEDUP, tcp_port=0))
        async with dispatch_world(tmp_path, sims=[sim]) as first:
            report = await first.dispatcher.report_incident(
                IncidentCreate(playbook_id="P01", latitude_deg=near(500)[0],
                               longitude_deg=near(500)[1]), actor="op")
            incident_id = report.incident.id
            queued = await first.dispatcher.report_incident(
                IncidentCreate(playbook_id="P05", latitude_deg=near(100)[0],
                               longitude_deg=near(100)[1], priority=5), actor="op")
            await first.sortie_is(incident_id, "on_scene", timeout_s=60)
            assert first.sortie(queued.incident.id).state == "planned"
            mission_id = first.incident(incident_id).mission_id
            assert mission_id is not None
        # the server is gone; the drone flies on
        assert sim.vehicle.armed
        with first.store.read_session() as s:  # what was sampled before the stop is kept
            before = list_track_points(s, mission_id)
        assert before
        async with dispatch_world(tmp_path, sims=[sim]) as second:
            assert 1 in second.dispatcher.flights
            assert second.dispatcher.flights[1].sortie_id == first.sortie(incident_id).id
            assert [q["incident_id"] for q in second.dispatcher.queue()] == [queued.incident.id]
            await second.sortie_is(incident_id, "landed", timeout_s=90)
            # the case that was waiting is served once the drone is free
            await second.sortie_is(queued.incident.id, "en_route", "on_scene", "returning",
                                   "landed", timeout_s=60)
            await second.sortie_is(queued.incident.id, "landed", timeout_s=90)
            await second.settle()
            with second.store.read_session() as s:
                states = [e.to_state for e in list_events(s, incident_id=incident_id)
                          if e.kind == "sortie.state"]
                actions = [a.action for a in list_audit(s, limit=1000)]
        assert states[-2:] == ["returning", "landed"] and "on_scene" in states
        assert second.incident(incident_id).state == "open"
        assert len(second.incident(queued.incident.id).sorties) == 1
        # the flown track continues after the restart, on the same mission, and ends home
        with second.store.read_session() as s:
            track = list_track_points(s, mission_id)
        assert len(track) > len(before) and track[: len(before)] == before
        last = track[-1]
        assert abs(last.latitude_deg - BASE[0]) < 3e-4 and abs(last.longitude_deg - BASE[1]) < 3e-4
        with second.store.read_session() as s:
            assert get_vehicle(s, 1).status == VehicleStatus.AVAILABLE
        assert actions.count("incident.report") == 2
        assert any(e.get("code") == "flight.followed_again" and e["drone_id"] == 1
                   for e in second.events if e["topic"] == "sortie")


async def test_losing_the_drone_mid_flight_fails_the_sortie_and_keeps_the_case_open(
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        sim = await stack.enter_async_context(
            SimulatorServer(home=(BASE[0], BASE[1], 10.0, 0.0), speedup=SPEEDUP, tcp_port=0))
        async with dispatch_world(tmp_path, sims=[sim]) as w:
            w.dispatcher.lost_contact_s = 1.0
            report = await w.dispatcher.report_incident(
                IncidentCreate(playbook_id="P01", latitude_deg=near(500)[0],
                               longitude_deg=near(500)[1]), actor="op")
            incident_id = report.incident.id
            await w.sortie_is(incident_id, "en_route", "on_scene")
            await stack.aclose()  # the drone's radio goes silent
            await w.sortie_is(incident_id, "failed", timeout_s=60)
            sortie = w.sortie(incident_id)
            assert "lost contact with vehicle 1" in sortie.reason
            assert sortie.code == "sortie.link_lost"
            assert w.incident(incident_id).state == "open"
            await w.settle()
            assert any(e.get("code") == "sortie.failed" and e["sortie_id"] == sortie.id
                       for e in w.events)
            assert any(e.get("code") == "flight.link_lost" and e["drone_id"] == 1
                       and e["sortie_id"] == sortie.id for e in w.events)
            assert 1 in w.dispatcher.busy  # still out there: not offered to the next incident
            with w.store.read_session() as s:
                assert get_vehicle(s, 1).status == VehicleStatus.LOST


async def test_a_patrol_in_the_air_at_a_restart_is_followed_and_not_fired_again(
    tmp_path: Path,
) -> None:
    from jinghang.dispatch import TestClock
    from jinghang.store import PatrolScheduleCreate, create_patrol, list_patrol_runs
    from tests.dispatch.conftest import utc

    route = [list(near(300, 0)), list(near(300, 300)), list(near(0, 300))]

    def runs(world: World) -> list[str]:
        with world.store.read_session() as s:
            return [r.status for r in list_patrol_runs(s)]

    async with AsyncExitStack() as stack:
        sim = await stack.enter_async_context(
            SimulatorServer(home=(BASE[0], BASE[1], 10.0, 0.0), speedup=SPEEDUP, tcp_port=0))
        clock = TestClock(utc(2026, 7, 1, 21, 59))
        async with dispatch_world(tmp_path, sims=[sim], clock=clock, with_patrols=True) as first:
            assert first.patrols is not None
            with first.store.transaction() as s:
                create_patrol(s, PatrolScheduleCreate(
                    name="harbour", template_id="CTY-05", cron="0 6 * * *",
                    inputs={"points": route}), created_by="chief")
            first.patrols.reload()
            await clock.set(utc(2026, 7, 1, 22, 0, 30))
            await first.until(lambda: runs(first) == ["launched"])
            await first.until(lambda: sim.vehicle.relative_altitude_m > 20)
        assert sim.vehicle.armed
        clock = TestClock(utc(2026, 7, 1, 22, 1))
        async with dispatch_world(tmp_path, sims=[sim], clock=clock, with_patrols=True) as second:
            await second.until(lambda: runs(second) == ["completed"], timeout_s=120)
            assert second.patrols is not None
            assert await second.patrols.tick() == 0  # the 06:00 run is not fired twice
            # the patrol's flown track: one mission, sampled before and after the restart,
            # out to the farthest point of the route (300 m north and east) and back home
            with second.store.read_session() as s:
                run = list_patrol_runs(s)[0]
                assert run.mission_id is not None
                track = list_track_points(s, run.mission_id)
            assert max(p.latitude_deg for p in track) > near(250, 0)[0]
            assert max(p.longitude_deg for p in track) > near(0, 250)[1]
            assert abs(track[-1].latitude_deg - BASE[0]) < 3e-4
