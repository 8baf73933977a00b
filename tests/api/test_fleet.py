"""The fleet view over the API with live state from the built-in simulator: registered
drones joined with their telemetry, and telemetry on the WebSocket."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import websockets

from jinghang.api import register
from jinghang.api.register import VehicleCreate
from jinghang.api.services import Services
from jinghang.flight import Fleet
from jinghang.simulator.server import SimulatorServer
from tests.api.harness import Api, eventually, make_settings, running_api

HOME = (37.5050, 122.1300, 5.0, 90.0)


async def test_fleet_view_shows_live_state_and_streams_telemetry(tmp_path: Path) -> None:
    async with SimulatorServer(home=HOME, speedup=5.0, system_id=1, tcp_port=0) as sim:
        settings = make_settings(tmp_path, links=[sim.address])

        def add_fleet(services: Services) -> None:
            services.fleet = Fleet(services.bus)
            register.ensure_vehicle(
                services,
                VehicleCreate(
                    drone_id=1,
                    name="harbour",
                    base_latitude_deg=HOME[0],
                    base_longitude_deg=HOME[1],
                    payloads=["camera", "zoom"],
                ),
            )

        async with running_api(tmp_path, settings=settings, customize=add_fleet) as api:

            async def live() -> bool:
                fleet = (await api.get("/api/fleet")).json()
                return bool(
                    fleet and fleet[0]["connected"] and fleet[0]["live"].get("gps_fix_type")
                )

            await eventually(live, what="live telemetry")
            drone = (await api.get("/api/fleet/1")).json()
            assert drone["name"] == "harbour" and drone["registered"] is True
            assert abs(drone["live"]["latitude_deg"] - HOME[0]) < 1e-3
            assert abs(drone["live"]["longitude_deg"] - HOME[1]) < 1e-3
            assert drone["live"]["armed"] is False
            assert (await api.get("/api/fleet/9")).status_code == 404

            url = api.url.replace("http://", "ws://") + "/ws?topics=telemetry"
            async with websockets.connect(url) as ws:
                await ws.send(json.dumps({"token": api.tokens["observer"]}))
                await ws.recv()  # hello
                snapshot = json.loads(await ws.recv())
                assert "1" in snapshot["vehicles"]
                async with asyncio.timeout(10):
                    event = json.loads(await ws.recv())
                assert event["topic"] == "telemetry"


@asynccontextmanager
async def one_live_drone(tmp_path: Path) -> AsyncIterator[Api]:
    """A server with drone 1 registered and linked to a simulator, its telemetry in."""
    async with SimulatorServer(home=HOME, speedup=5.0, system_id=1, tcp_port=0) as sim:
        settings = make_settings(tmp_path, links=[sim.address])

        def add_fleet(services: Services) -> None:
            services.fleet = Fleet(services.bus)
            register.ensure_vehicle(
                services,
                VehicleCreate(
                    drone_id=1, name="harbour", base_latitude_deg=HOME[0],
                    base_longitude_deg=HOME[1],
                ),
            )

        async with running_api(tmp_path, settings=settings, customize=add_fleet) as api:

            async def live() -> bool:
                fleet = (await api.get("/api/fleet")).json()
                return bool(fleet and fleet[0]["connected"] and fleet[0]["live"].get("mode"))

            await eventually(live, what="live telemetry")
            yield api


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity (which are not JSON)."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"the body holds {constant}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


async def test_fleet_view_shows_register_changes_at_once(tmp_path: Path) -> None:
    """The fleet view is kept between telemetry ticks; a drone registered or changed by an
    admin still shows in the very next listing."""
    async with one_live_drone(tmp_path) as api:
        assert [d["drone_id"] for d in (await api.get("/api/fleet")).json()] == [1]
        added = await api.post(
            "/api/fleet",
            "admin",
            json={"drone_id": 7, "name": "pier", "base_latitude_deg": HOME[0],
                  "base_longitude_deg": HOME[1]},
        )
        assert added.status_code == 201, added.text
        fleet = (await api.get("/api/fleet")).json()
        assert [(d["drone_id"], d["name"], d["connected"]) for d in fleet] == [
            (1, "harbour", True),
            (7, "pier", False),
        ]
        changed = await api.patch("/api/fleet/1", "admin", json={"status": "maintenance"})
        assert changed.status_code == 200, changed.text
        fleet = (await api.get("/api/fleet")).json()
        assert fleet[0]["status"] == "maintenance"
        assert fleet[0]["live"]["latitude_deg"] is not None


async def test_fleet_view_renders_non_finite_telemetry_as_null(tmp_path: Path) -> None:
    """A float JSON cannot carry (Infinity, NaN) in a drone's state comes out as null in a
    valid body, not as a 500 or as invalid JSON."""
    async with one_live_drone(tmp_path) as api:

        async def reported() -> bool:
            live = (await api.get("/api/fleet")).json()[0]["live"]
            return live["battery_voltage_v"] is not None and live["roll_deg"] is not None

        await eventually(reported, what="a battery voltage and a roll angle")
        state = api.services.fleet.vehicles[1].state

        async def shown_as_null() -> bool:
            # the simulator's next SYS_STATUS and ATTITUDE overwrite these; set them again
            state.battery_voltage_v = math.inf
            state.roll_deg = -math.inf
            response = await api.get("/api/fleet")
            assert response.status_code == 200, response.text
            live = strict_json(response.text)[0]["live"]
            return live["battery_voltage_v"] is None and live["roll_deg"] is None

        await eventually(shown_as_null, what="a non-finite battery voltage shown as null")
