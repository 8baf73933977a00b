"""With the store's write lock held (another SQLite connection holds the file exclusively,
at least 2 s and until the drone is down), a pilot's handover, a drone set down in the street
and a patrol launch still go ahead: the drone stops for the pilot and lands at once, the
street landing is announced, telemetry keeps arriving at its own rate; the pilot's answer and
the patrol's take-off wait (without blocking anything) for their rows; afterwards every
record is there."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from jinghang.store import (
    IncidentCreate,
    PatrolScheduleCreate,
    VehicleStatus,
    create_patrol,
    get_vehicle,
    list_audit,
    list_patrol_runs,
)
from tests.dispatch.conftest import dispatch_world, near, utc
from tests.dispatch.test_store_held import HOLD_S, _held_sqlite

LANDING_S = 15.0
ROUTE = [list(near(150, 0)), list(near(150, 150)), list(near(0, 150))]


async def test_handover_street_landing_and_patrol_launch_go_ahead_while_the_store_is_held(
        tmp_path: Path) -> None:
    async with dispatch_world(tmp_path, drones=2, db_name="held.db") as w:
        lat, lon = near(500, 200)
        report = await w.dispatcher.report_incident(
            IncidentCreate(playbook_id="P01", latitude_deg=lat, longitude_deg=lon,
                           title="110: held store, pilot takes over"), actor="operator.li")
        case_id = report.incident.id
        await w.sortie_is(case_id, "on_scene", timeout_s=60)  # far from its base
        first = w.sortie(case_id).drone_id
        assert first in (1, 2), w.sortie(case_id)
        other = 3 - first
        vehicle = w.fleet.vehicles[first]
        with w.store.transaction() as s:
            patrol = create_patrol(s, PatrolScheduleCreate(
                name="harbour", template_id="CTY-05", cron="0 6 * * *",
                inputs={"points": ROUTE}, drone_id=other), created_by="chief")

        telemetry: list[float] = []

        async def watch_telemetry() -> None:
            async with w.bus.subscribe("telemetry") as sub:
                while True:
                    await sub.get()
                    telemetry.append(time.monotonic())

        watcher = asyncio.create_task(watch_telemetry())
        await asyncio.sleep(0.3)
        with _held_sqlite(tmp_path / "held.db"):
            held_from = time.monotonic()
            take_over = asyncio.create_task(w.dispatcher.take_over(first, actor="pilot.wang"))
            await w.until(lambda: vehicle.state.mode in ("BRAKE", "LOITER"), timeout_s=HOLD_S,
                          what="the drone stopping for the pilot while the store is held")
            launch = asyncio.create_task(
                w.dispatcher.launch_patrol(patrol, utc(2026, 7, 1, 22, 0)))
            await vehicle.land(actor="pilot.wang")  # in the street, 500 m from its base
            # held until the drone is down (its descent takes ~1.5 s here), at least HOLD_S
            await w.until(lambda: any(e.get("code") == "drone.landed_away"
                                      for e in w.events), timeout_s=LANDING_S,
                          what="the street landing announced while the store is held")
            await asyncio.sleep(max(0.0, held_from + HOLD_S - time.monotonic()))
            assert not take_over.done()  # the pilot's answer waits for its record...
        held_until = time.monotonic()
        await asyncio.wait_for(take_over, 15)  # ...which goes in once the store is free
        run_id = await asyncio.wait_for(launch, 30)  # its rows go in once the store is free
        await w.until(lambda: w.fleet.vehicles[other].state.armed, timeout_s=30,
                      what="the patrol's drone taking off")
        watcher.cancel()

        during = [t for t in telemetry if held_from <= t <= held_until]
        gaps = [b - a for a, b in zip([held_from, *during], [*during, held_until],
                                      strict=True)]
        assert len(during) >= 4, f"{len(during)} telemetry updates in {HOLD_S} s"
        assert max(gaps) < HOLD_S / 2, f"telemetry stalled {max(gaps):.2f} s in the hold"

        await w.dispatcher.journal.settle()
        with w.store.read_session() as s:
            assert get_vehicle(s, first).status == VehicleStatus.LANDED_AWAY
            actions = [a.action for a in list_audit(s, target_type="vehicle", target_id=first,
                                                    limit=1000)]
            runs = list_patrol_runs(s, schedule_id=patrol.id)
        assert "vehicle.take_over" in actions and "vehicle.status" in actions
        assert [r.id for r in runs] == [run_id]
        assert runs[0].status in ("launched", "completed") and runs[0].drone_id == other
        took = [e for e in w.events if e.get("code") == "pilot.took_over"]
        assert len(took) == 1 and took[0]["pilot"] == "pilot.wang" and took[0]["drone_id"] == first
