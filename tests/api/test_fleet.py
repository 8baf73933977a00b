"""The fleet view over the API with live state from the built-in simulator: registered
drones joined with their telemetry, and telemetry on the WebSocket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import websockets

from jinghang.api import register
from jinghang.api.register import VehicleCreate
from jinghang.api.services import Services
from jinghang.flight import Fleet
from jinghang.simulator.server import SimulatorServer
from tests.api.harness import eventually, make_settings, running_api

HOME = (37.5050, 122.1300, 5.0, 90.0)


async def test_fleet_view_shows_live_state_and_streams_telemetry(tmp_path: Path) -> None:
    async with SimulatorServer(home=HOME, speedup=5.0, system_id=1, tcp_port=0) as sim:
        settings = make_settings(tmp_path, links=[sim.address])

        def add_fleet(services: Services) -> None:
            services.fleet = Fleet(services.bus)
            register.ensure_vehicle(
                services,
                VehicleCreate(
                    system_id=1,
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
