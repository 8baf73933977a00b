"""Absurd telemetry from a drone (groundspeed=inf, NaN, lat 214.7, alt 2,147 km) over a real
UDP link: GET /api/fleet still answers 200 with valid JSON and none of those values."""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.api.services import Services
from jinghang.flight import Fleet
from tests.api.harness import eventually, make_settings, running_api


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


async def test_fleet_view_stays_valid_json_under_absurd_telemetry(tmp_path: Path) -> None:
    port = free_udp_port()
    settings = make_settings(tmp_path, links=[f"udpin:127.0.0.1:{port}"])

    def add_fleet(services: Services) -> None:
        services.fleet = Fleet(services.bus)

    drone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mav = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)

    def send(message: object) -> None:
        drone.sendto(bytes(message.pack(mav)), ("127.0.0.1", port))  # type: ignore[attr-defined]

    async with running_api(tmp_path, settings=settings, customize=add_fleet) as api:

        async def listed() -> bool:
            send(mavlink.MAVLink_heartbeat_message(2, 3, 1, 0, 3, 3))
            send(mavlink.MAVLink_vfr_hud_message(0, math.inf, 0, 0, math.nan, 0))
            send(mavlink.MAVLink_global_position_int_message(
                0, 2_147_000_000, 1_215_000_000, 2_147_000_000, 2_147_000_000, 0, 0, 0, 9000))
            response = await api.get("/api/fleet")
            assert response.status_code == 200, response.text
            views = json.loads(response.text, parse_constant=refuse_constant)
            return bool(views) and views[0]["live"] is not None

        await eventually(listed, what="the drone in the fleet view")
        response = await api.get("/api/fleet")
        assert response.status_code == 200
        live = json.loads(response.text, parse_constant=refuse_constant)[0]["live"]
        assert live["ground_speed_m_s"] in (None, 0.0) and live["latitude_deg"] is None
        assert live["relative_altitude_m"] is None
    drone.close()
