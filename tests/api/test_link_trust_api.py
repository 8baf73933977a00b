"""Link trust as an admin sees it over the API: a drone that is not in the register is held in
quarantine (listed for the admin, absent from the fleet map), and observers cannot see it."""

from __future__ import annotations

from pathlib import Path

from jinghang.api import register
from jinghang.api.register import VehicleCreate
from jinghang.api.services import Services
from jinghang.flight import Fleet
from jinghang.simulator.server import SimulatorServer
from tests.api.harness import eventually, make_settings, running_api

HOME = (37.5050, 122.1300, 5.0, 90.0)


async def test_an_unregistered_drone_is_quarantined_and_shown_to_the_admin(
    tmp_path: Path,
) -> None:
    async with (
        SimulatorServer(home=HOME, speedup=5.0, system_id=1, tcp_port=0) as known,
        SimulatorServer(home=HOME, speedup=5.0, system_id=7, tcp_port=0) as stranger,
    ):
        settings = make_settings(tmp_path, links=[known.address, stranger.address])

        def add_fleet(services: Services) -> None:
            services.fleet = Fleet(
                services.bus,
                registered=lambda system_id: register.is_registered(services, system_id),
            )
            register.ensure_vehicle(
                services,
                VehicleCreate(drone_id=1, name="harbour", base_latitude_deg=HOME[0],
                              base_longitude_deg=HOME[1]),
            )

        async with running_api(tmp_path, settings=settings, customize=add_fleet) as api:

            async def both_heard() -> bool:
                trust = (await api.get("/api/fleet/link-trust", as_user="admin")).json()
                return [b["system_id"] for b in trust["bindings"]] == [1] and any(
                    q["system_id"] == 7 for q in trust["quarantined"]
                )

            await eventually(both_heard, what="drone 1 bound and system 7 quarantined")
            fleet = (await api.get("/api/fleet")).json()
            assert [v["drone_id"] for v in fleet] == [1]
            assert (await api.get("/api/fleet/link-trust")).status_code == 403
