"""Every playbook flies from a point report on the demo fleet (jinghang.api.demo.DEMO_DRONES:
their bases and payloads), over HTTP: each of the 19 is reported once at a point about 2 km
from the drones, a pilot other than the dispatching commander confirms where the playbook
asks for it (two-person rule), and each case gets a drone airborne with every part of its
work (area strips, relief shifts) on a sortie of the case; then it is recalled and closed
so that the drones come free for the next. On real ArduPilot SITL (``sitl``, where
JINGHANG_SITL_BINARY is set) one point, one area and one watch playbook are flown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from jinghang.api.demo import DEMO_DRONES
from jinghang.dispatch.playbooks import load_playbooks
from tests.api.harness import Api, eventually, make_settings, running_api

#: A point in Weihai 1.9-2.1 km from each of the three demo drones.
SCENE = (37.5150, 122.1150)
AIRBORNE = {"en_route", "on_scene", "returning", "landed"}
FINAL = {"landed", "aborted", "failed"}
#: On SITL: a point playbook, an area playbook, a watch playbook with a relief.
SITL_SUBSET = ("P01", "P04", "P10")


@asynccontextmanager
async def demo_fleet_api(tmp_path: Path, backend: str) -> AsyncIterator[Api]:
    """A server with the demo's three drones (simulated on ``backend``), registered with the
    demo's bases and payloads, linked, and a running dispatcher."""
    from jinghang.api import register
    from jinghang.api.register import VehicleCreate
    from jinghang.api.runtime import add_dispatcher
    from jinghang.flight import Fleet
    from jinghang.simulator import start_vehicle

    speedup = 40.0 if backend == "builtin" else 10.0
    async with AsyncExitStack() as stack:
        links = []
        for i, d in enumerate(DEMO_DRONES):
            links.append(await stack.enter_async_context(start_vehicle(
                backend, home=(d.latitude_deg, d.longitude_deg, d.altitude_amsl_m,
                               d.heading_deg),
                speedup=speedup, tcp_port=0, instance=i)))
        settings = make_settings(tmp_path, links=links)

        def add_fleet(services: Any) -> None:
            services.fleet = Fleet(services.bus)
            for d in DEMO_DRONES:
                register.ensure_vehicle(services, VehicleCreate(
                    drone_id=d.drone_id, name=d.name, base_latitude_deg=d.latitude_deg,
                    base_longitude_deg=d.longitude_deg, base_altitude_m=d.altitude_amsl_m,
                    payloads=list(d.payloads)))
            add_dispatcher(services, poll_s=0.05, recovery_wait_s=20.0)

        api = await stack.enter_async_context(
            running_api(tmp_path, settings=settings, customize=add_fleet))
        fleet = api.services.fleet

        async def linked() -> bool:
            return all(d.drone_id in fleet.vehicles
                       and fleet.vehicles[d.drone_id].state.has_position for d in DEMO_DRONES)

        await eventually(linked, 120.0, "the demo drones linked with a position")
        yield api


async def _case(api: Api, incident_id: int) -> dict[str, Any]:
    return dict((await api.get(f"/api/incidents/{incident_id}")).json())


async def fly_playbook(api: Api, playbook_id: str) -> str | None:
    """Report, confirm, see a drone airborne, check the parts, recall, close; ``None`` when
    all went as it should, else what went wrong."""
    reported = await api.post("/api/incidents", "commander", json={
        "playbook_id": playbook_id, "latitude_deg": SCENE[0], "longitude_deg": SCENE[1],
        "title": f"{playbook_id} reported from a point"})
    if reported.status_code != 201:
        return f"report refused {reported.status_code}: {reported.text}"
    body = reported.json()
    incident_id = body["incident"]["id"]
    work = body["work"]
    sortie_ids = {s["id"] for s in body["incident"]["sorties"]}
    problem = None
    if not work["parts"] or any(p["sortie_id"] not in sortie_ids for p in work["parts"]):
        problem = f"a part of the work has no sortie: {work}"
    elif len(work["parts"]) != len(sortie_ids):
        problem = f"{len(work['parts'])} parts but {len(sortie_ids)} sorties"
    seen: dict[str, Any] = {}
    try:
        if body["incident"]["needs_confirmation"]:
            async def held() -> bool:
                nonlocal seen
                seen = await _case(api, incident_id)
                return any(s["state"] == "waiting_pilot" for s in seen["sorties"])

            await eventually(held, 60.0, f"{playbook_id} waiting for a pilot")
            confirmed = await api.post(f"/api/incidents/{incident_id}/confirm", "pilot")
            if confirmed.status_code != 200:
                problem = problem or f"confirm refused: {confirmed.text}"

        async def airborne() -> bool:
            nonlocal seen
            seen = await _case(api, incident_id)
            return any(s["state"] in AIRBORNE for s in seen["sorties"])

        await eventually(airborne, 90.0, f"{playbook_id} airborne")
    except AssertionError:
        reasons = "; ".join(f"{s['state']} {s['reason']}" for s in seen.get("sorties", []))
        problem = problem or f"no drone airborne: {seen.get('reason')} / {reasons}"
    proposal = (await api.get(f"/api/incidents/{incident_id}/proposal")).json()
    if sorted(p["sortie_id"] for p in proposal["work"]["parts"]) != sorted(sortie_ids):
        problem = problem or f"the proposal's parts are not the case's sorties: {proposal}"
    if any(s["state"] not in FINAL for s in seen.get("sorties", [])):
        await api.post(f"/api/incidents/{incident_id}/recall", "commander")
    closed = await api.post(f"/api/incidents/{incident_id}/close", "commander",
                            json={"outcome": "flown"})
    if closed.status_code != 200:
        return problem or f"close refused: {closed.text}"

    async def down() -> bool:
        case = await _case(api, incident_id)
        return all(s["state"] in FINAL for s in case["sorties"])

    await eventually(down, 180.0, f"{playbook_id}'s drones down")
    await asyncio.sleep(0.2)  # the dispatcher frees the drone after the sortie's last step
    return problem


async def test_every_playbook_gets_a_drone_airborne_from_a_point_report(
    tmp_path: Path, backend: str
) -> None:
    ids = [p.id for p in load_playbooks()]
    if backend != "builtin":
        ids = [i for i in ids if i in SITL_SUBSET]
    async with demo_fleet_api(tmp_path, backend) as api:
        results: dict[str, str | None] = {}
        for pid in ids:
            t0 = asyncio.get_running_loop().time()
            results[pid] = await fly_playbook(api, pid)
            print(pid, round(asyncio.get_running_loop().time() - t0, 1), results[pid])
    failed = {pid: why for pid, why in results.items() if why}
    assert not failed, f"{len(ids) - len(failed)}/{len(ids)} flew; failed: {failed}"


async def test_the_proposal_for_a_point_shows_the_sorties_and_the_total_time(
    tmp_path: Path,
) -> None:
    async with demo_fleet_api(tmp_path, "builtin") as api:
        answer = await api.post("/api/incidents/proposal", "commander", json={
            "playbook_id": "P16", "latitude_deg": SCENE[0], "longitude_deg": SCENE[1]})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["default_area_m"] == 600
        assert body["work"]["sortie_count"] == len(body["work"]["parts"]) >= 1
        assert body["work"]["total_time_s"] > max(p["on_scene_s"]
                                                  for p in body["work"]["parts"])
        assert body["candidates"], body["rejected"]
