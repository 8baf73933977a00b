"""Relief of a watch by time to go, on the built-in simulator: the relief drone of a watch
playbook is launched when the watching drone's battery leaves it no more time on scene than
the relief needs to get there (its ETA, the same function as the card's) plus the overlap, not
by the watch's timetable (the test clock stands still, so the timetable never comes due), and
it is on scene while the first drone still watches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinghang.dispatch import TestClock
from jinghang.store import IncidentCreate, VehicleUpdate, update_vehicle
from tests.dispatch.conftest import dispatch_world, near

#: What the register says a full battery lasts: short, so that the watch is cut into shifts.
ENDURANCE_S = 700.0


async def test_the_relief_is_launched_when_the_watching_drone_must_leave_soon(
    tmp_path: Path,
) -> None:
    clock = TestClock(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))
    async with dispatch_world(tmp_path, drones=2, clock=clock) as w:
        with w.store.transaction() as s:
            for sid in (1, 2):
                update_vehicle(s, sid, VehicleUpdate(endurance_s=ENDURANCE_S))
        lat, lon = near(300, 0)
        report = await w.dispatcher.report_incident(
            IncidentCreate(playbook_id="P10", latitude_deg=lat, longitude_deg=lon,
                           title="110: a missing child in the park"), actor="operator.li")
        case_id = report.incident.id
        assert len(report.incident.sorties) >= 2, w.dispatcher.work_of(case_id)
        await w.sortie_is(case_id, "on_scene", index=0, timeout_s=60)
        first = w.sortie(case_id, 0)
        # a full battery on scene: the relief waits (and the timetable's clock stands still)
        await w.settle()
        assert w.sortie(case_id, 1).state == "planned"
        # the watching drone's battery is down to 40%: 700 s x 20% over the reserve, less the
        # way home, is less than the relief's ETA plus the overlap
        server = next(x for x in w.sims  # identity-rename: keep
                      if x.system_id == first.drone_id)  # identity-rename: keep
        battery = server.vehicle.physics.battery
        battery.consumed_mah = 0.6 * battery.capacity_mah
        await w.sortie_is(case_id, "en_route", "on_scene", index=1, timeout_s=30)
        await w.sortie_is(case_id, "on_scene", index=1, timeout_s=60)
        assert w.sortie(case_id, 0).state == "on_scene"  # the first still watches
        assert w.sortie(case_id, 1).drone_id != first.drone_id
        await w.dispatcher.recall(case_id, actor="chief.wang")
