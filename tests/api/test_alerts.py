"""Alerts are server state: one alert per cause (counted), pushed on the WebSocket, and
acknowledged by a named user for everyone; a second operator, or a fresh sign-in, sees it
acknowledged. The cause here is real: a patrol for a drone that is not in the fleet is skipped
at its time (the server runs on a test clock moved to 06:00 and 06:01 Beijing time)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinghang.dispatch.clock import TestClock
from tests.api.harness import eventually, flying_api, near, password_of, watch

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _field() -> list[list[float]]:
    corners = [near(150, -100), near(150, 0), near(250, 0), near(250, -100)]
    return [[lat, lon] for lat, lon in corners]


async def _patrol_for_drone_9(api: Any) -> int:
    templates = (await api.get("/api/templates")).json()
    survey = next(t["id"] for t in templates if t["inputs"] == ["area"])
    created = await api.post(
        "/api/patrols", "commander",
        json={"name": "drone 9 patrol", "template_id": survey, "inputs": {"area": _field()},
              "cron": "* 6 * * *", "drone_id": 9},
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def test_second_operator_sees_the_alert_acknowledged_by_the_first(tmp_path: Path) -> None:
    clock = TestClock(dt.datetime(2026, 6, 1, 5, 59, tzinfo=SHANGHAI))
    async with flying_api(tmp_path, drones=1, clock=clock) as api:
        patrol_id = await _patrol_for_drone_9(api)
        async with watch(api, "alert", as_user="pilot") as pilot_stream:
            for minute in (0, 1):  # two runs skipped for the same cause
                await clock.set(dt.datetime(2026, 6, 1, 6, minute, tzinfo=SHANGHAI))

                async def skipped(n: int = minute + 1) -> bool:
                    runs = (await api.get(f"/api/patrols/{patrol_id}/runs")).json()
                    alerts = (await api.get("/api/alerts")).json()
                    return len(runs) == n and any(a["count"] == n for a in alerts)

                await eventually(skipped, 30, f"run {minute + 1} skipped and alerted")
            opened = (await api.get("/api/alerts", "pilot")).json()
            assert [(a["code"], a["count"]) for a in opened] == [("patrol.skipped", 2)]
            alert = opened[0]
            assert alert["params"]["patrol"] == "drone 9 patrol"
            assert "vehicle 9" in alert["params"]["reason"]
            assert alert["severity"] == "warning" and alert["acknowledged_by"] is None

            # observers read alerts but do not acknowledge them
            refused = await api.post(f"/api/alerts/{alert['id']}/acknowledge", "observer")
            assert refused.status_code == 403
            acked = await api.post(f"/api/alerts/{alert['id']}/acknowledge", "commander")
            assert acked.status_code == 200, acked.text
            assert acked.json()["acknowledged_by"] == "commander"

            async def pilot_told() -> bool:
                return any(e["data"].get("acknowledged_by") == "commander"
                           for e in pilot_stream.events)

            await eventually(pilot_told, 10, "the pilot's console told of the acknowledgement")
        # the pilot, and a fresh sign-in, see no open alert; the history keeps who and when
        assert (await api.get("/api/alerts", "pilot")).json() == []
        token = (await api.client.post(
            "/api/auth/token", data={"username": "observer", "password": password_of("observer")}
        )).json()["access_token"]
        fresh = await api.client.get("/api/alerts",
                                     headers={"Authorization": f"Bearer {token}"})
        assert fresh.json() == []
        history = (await api.get("/api/alerts", "pilot", params={"state": "all"})).json()
        assert [(a["id"], a["acknowledged_by"]) for a in history] == [(alert["id"], "commander")]
        assert history[0]["acknowledged_at"] is not None
        again = await api.post(f"/api/alerts/{alert['id']}/acknowledge", "pilot")
        assert again.json()["acknowledged_by"] == "commander"  # the first one stands

        trail = (await api.get("/api/audit", params={"target_type": "alert"})).json()
        assert ("commander", "alert.acknowledge") in [(e["actor"], e["action"]) for e in trail]

        # the same cause after the acknowledgement opens a new alert
        await clock.set(dt.datetime(2026, 6, 1, 6, 2, tzinfo=SHANGHAI))

        async def reopened() -> bool:
            return len((await api.get("/api/alerts")).json()) == 1

        await eventually(reopened, 30, "a new alert for the next skipped run")
        new = (await api.get("/api/alerts")).json()[0]
        assert new["id"] != alert["id"] and new["count"] == 1


async def test_bad_alert_requests_get_clear_problems(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        bad_state = await api.get("/api/alerts", params={"state": "closed"})
        assert bad_state.status_code == 422
        assert "state" in bad_state.text
        too_many = await api.get("/api/alerts", params={"limit": 5000})
        assert too_many.status_code == 422
        missing = await api.post("/api/alerts/999/acknowledge", "commander")
        assert missing.status_code == 404 and missing.json()["field"] == "alert_id"
        assert (await api.client.get("/api/alerts")).status_code == 401


def test_every_alert_code_has_console_text_in_chinese_and_english() -> None:
    import re

    from jinghang.alerts import CODES

    source = (Path(__file__).parents[2] / "jinghang/console/js/i18n.js").read_text()
    zh, en = source.split("\n  en: {", 1)
    for table, name in ((zh, "zh"), (en, "en")):
        keys = set(re.findall(r'"alert\.code\.([a-z_.]+)"', table))
        assert keys == set(CODES), (name, set(CODES) ^ keys)
        for code, known in CODES.items():
            text = re.search(rf'"alert\.code\.{re.escape(code)}": "((?:[^"\\]|\\.)*)"', table)
            assert text is not None
            assert set(re.findall(r"\{(\w+)\}", text.group(1))) == set(
                re.findall(r"\{(\w+)\}", known.text)), (name, code)


async def test_link_loss_and_low_battery_each_raise_one_alert(tmp_path: Path) -> None:
    """What the flight core publishes today (a link going silent, the battery in telemetry)
    raises alerts: one per cause, counted when it comes back while still open."""
    from jinghang.api import register
    from jinghang.api.register import VehicleCreate
    from jinghang.api.services import Services
    from jinghang.flight import Fleet
    from jinghang.flight.transport import parse_address
    from jinghang.simulator import SimulatorServer
    from tests.api.harness import BASE, make_settings, running_api
    from tests.flight.tcp_proxy import TcpProxy

    home = (BASE[0], BASE[1], 10.0, 0.0)
    async with SimulatorServer(home=home, speedup=20.0, system_id=1, tcp_port=0) as sim:
        upstream = parse_address(sim.address)
        async with TcpProxy(upstream.host, upstream.port) as proxy:
            settings = make_settings(tmp_path, links=[proxy.address])

            def add_fleet(services: Services) -> None:
                services.fleet = Fleet(services.bus, link_lost_after_s=0.5)
                register.ensure_vehicle(services, VehicleCreate(
                    drone_id=1, name="drone-1", base_latitude_deg=home[0],
                    base_longitude_deg=home[1], base_altitude_m=home[2]))

            async with running_api(tmp_path, settings=settings, customize=add_fleet) as api:
                fleet = api.services.fleet

                async def linked() -> bool:
                    vehicle = fleet.vehicles.get(1)
                    return vehicle is not None and vehicle.state.battery_pct is not None

                await eventually(linked, 30, "the drone on its link")

                async def alerts(code: str) -> list[dict[str, Any]]:
                    return [a for a in (await api.get("/api/alerts")).json() if a["code"] == code]

                battery = sim.vehicle.physics.battery
                battery.consumed_mah = 0.85 * battery.capacity_mah

                async def low() -> bool:
                    return bool(await alerts("vehicle.battery_low"))

                await eventually(low, 30, "a low battery alert")
                await asyncio.sleep(1.0)  # many telemetry messages later: still one, once
                [battery_alert] = await alerts("vehicle.battery_low")
                assert battery_alert["count"] == 1 and battery_alert["severity"] == "critical"
                assert battery_alert["params"]["drone"] == "drone-1"
                assert battery_alert["params"]["battery_pct"] <= 16

                for cut in (1, 2):
                    proxy.refusing = True
                    proxy.cut()

                    async def lost(n: int = cut) -> bool:
                        found = await alerts("vehicle.link_lost")
                        return bool(found) and found[0]["count"] == n

                    await eventually(lost, 30, f"link loss {cut} alerted")
                    proxy.refusing = False

                    async def back() -> bool:
                        return not fleet.vehicles[1].state.link_lost

                    await eventually(back, 30, "the link back")
                [link_alert] = await alerts("vehicle.link_lost")
                assert link_alert["drone_id"] == 1 and link_alert["count"] == 2


def test_coded_events_of_the_dispatcher_and_flight_core_map_to_alerts() -> None:
    """The codes the case dispatcher and the flight checks publish raise their alert as soon
    as they appear; telemetry over the ceiling raises once until it comes down."""
    from jinghang.alerts import Rules
    from jinghang.events import Event

    rules = Rules(altitude_ceiling_m=120.0)
    events = [
        Event("sortie", {"code": "sortie.launch_refused", "case_id": 7, "drone_id": 2,
                         "params": {"reason": "arming refused"}}),
        Event("case", {"code": "case.unassigned", "case_id": 8, "reason": "all drones busy"}),
        Event("vehicle.status", {"code": "vehicle.outside_fence", "drone_id": 3}),
        Event("link", {"code": "link.spoofed_sysid", "link": "udp:14550", "drone_id": 4}),
        Event("case", {"code": "no.such.code", "case_id": 9}),
        Event("alert", {"code": "sortie.failed", "id": 1}),  # the service's own: not again
    ]
    raised = [r for e in events for r in rules.evaluate(e)]
    assert [(r.code, r.drone_id, r.case_id) for r in raised] == [
        ("sortie.launch_refused", 2, 7),
        ("case.unassigned", None, 8),
        ("vehicle.outside_fence", 3, None),
        ("link.spoofed_sysid", 4, None),
    ]
    assert raised[0].params["reason"] == "arming refused"
    assert raised[1].params["reason"] == "all drones busy"
    assert len({r.key for r in raised}) == 4

    def climb(altitude_m: float, above_ceiling: bool) -> list[str]:
        """Telemetry as the flight core sends it: the altitude and its ceiling verdict."""
        event = Event("telemetry", {"drone_id": 5, "relative_altitude_m": altitude_m,
                                    "above_ceiling": above_ceiling})
        return [r.code for r in rules.evaluate(event)]

    assert climb(120.4, False) == []  # at the ceiling, within the flight core's margin
    assert climb(125.0, True) == ["vehicle.above_ceiling"]
    assert climb(130.0, True) == []
    assert climb(100.0, False) == []
    assert climb(121.5, True) == ["vehicle.above_ceiling"]
