"""``jinghang demo``: the whole platform on one machine.

A SQLite file under ``./jinghang-demo/``, three built-in simulated drones based on Weihai's
coast (started in-process, each on a free TCP port on 127.0.0.1), the sample no-fly zones,
demo users of every role with fresh passwords printed at start, and the URL to open.

The demo flies signed, as ``jinghang serve`` does: it makes a signing master key beside its
database on its first run, and each simulator starts with its drone's derived key.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from jinghang.api.register import VehicleCreate
from jinghang.api.security import Role
from jinghang.api.serve_settings import ServeSettings, UserSeed


@dataclass(frozen=True, slots=True)
class DemoDrone:
    #: its drone id in the register, and the MAVLink system id its simulator speaks
    drone_id: int
    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_amsl_m: float
    heading_deg: float
    payloads: tuple[str, ...]


#: Three drones on Weihai's coast: the harbour, the city centre, the northern shore.
DEMO_DRONES = (
    DemoDrone(1, "威海-1 harbour", 37.5050, 122.1300, 5.0, 90.0, ("camera", "zoom", "loudspeaker")),
    DemoDrone(2, "威海-2 centre", 37.4960, 122.1130, 20.0, 45.0, ("camera", "thermal", "zoom")),
    DemoDrone(
        3,
        "威海-3 north shore",
        37.5280,
        122.0980,
        8.0,
        0.0,
        ("camera", "release", "loudspeaker", "thermal"),
    ),
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_audit_key(directory: Path) -> Path:
    """The demo's audit key file (made on its first run, kept beside its database)."""
    from jinghang.store.audit_cli import write_new_key

    path = directory / "audit.key"
    if not path.exists():
        write_new_key(path)
    return path


def demo_signing_key(directory: Path) -> Path:
    """The demo's signing master key file (made on its first run, kept beside its database)."""
    from jinghang.mavlink.keys import write_new_master_key

    path = directory / "signing.key"
    if not path.exists():
        write_new_master_key(path)
    return path


def demo_settings(
    directory: Path, *, host: str, port: int, sim_ports: list[int], speedup: float
) -> ServeSettings:
    directory.mkdir(parents=True, exist_ok=True)
    users = [
        UserSeed(username=str(role), password=secrets.token_urlsafe(9), role=role) for role in Role
    ]
    vehicles = [
        VehicleCreate(
            drone_id=d.drone_id,
            name=d.name,
            connection=f"tcp:127.0.0.1:{p}",
            link=f"tcp:127.0.0.1:{p}",
            base_latitude_deg=d.latitude_deg,
            base_longitude_deg=d.longitude_deg,
            base_altitude_m=d.altitude_amsl_m,
            payloads=list(d.payloads),
        )
        for d, p in zip(DEMO_DRONES, sim_ports, strict=True)
    ]
    return ServeSettings(
        demo=True,
        secret_key=secrets.token_urlsafe(32),
        database_url=f"sqlite:///{(directory / 'jinghang.db').resolve()}",
        host=host,
        port=port,
        links=[f"tcp:127.0.0.1:{p}" for p in sim_ports],
        recordings_dir=directory / "recordings",
        audit_key_file=str(demo_audit_key(directory)),
        signing_master_key_file=str(demo_signing_key(directory)),
        users=users,
        vehicles=vehicles,
        demo_speedup=speedup,
    )


def simulators(
    sim_ports: list[int], speedup: float, master_key: bytes | None = None
) -> list[Any]:
    """The demo's simulated drones, each signing with its derived key when ``master_key``."""
    from jinghang.mavlink.keys import drone_key
    from jinghang.simulator.server import SimulatorServer

    return [
        SimulatorServer(
            instance=i,
            home=(d.latitude_deg, d.longitude_deg, d.altitude_amsl_m, d.heading_deg),
            speedup=speedup,
            system_id=d.drone_id,
            tcp_port=port,
            signing_key=drone_key(master_key, d.drone_id) if master_key else None,
        )
        for i, (d, port) in enumerate(zip(DEMO_DRONES, sim_ports, strict=True))
    ]


def banner(settings: ServeSettings, out: TextIO = sys.stdout) -> None:
    url = f"http://{settings.host}:{settings.port}/"
    lines = [
        "",
        "Jinghang (警航) demo is running",
        f"  open:      {url}",
        f"  API docs:  {url}api/docs",
        f"  database:  {settings.database_url}",
        "  drones:    " + ", ".join(f"{d.name} (system {d.drone_id})" for d in DEMO_DRONES),
        "  users (passwords are new at every start):",
    ]
    lines += [f"    {u.role!s:<10} {u.username:<10} password: {u.password}" for u in settings.users]
    lines += ["  Ctrl-C stops everything.", ""]
    print("\n".join(lines), file=out, flush=True)


def add_cameras(services: Any, sims: list[Any]) -> None:
    """A simulated camera per drone (MPEG-TS over UDP on 127.0.0.1) and its relay in the
    video gateway, the camera's pose taken from the simulated vehicle's physics."""
    from jinghang.api.recording import FlightRecording
    from jinghang.video.gateway import VideoGateway
    from jinghang.video.osd import OsdInfo
    from jinghang.video.simcam.pose import CameraPose
    from jinghang.video.simcam.streamer import CameraSettings, SimCamera, udp_url
    from jinghang.video.simcam.world import build_world

    gateway = services.video_gateway or VideoGateway.from_settings(services.settings)
    services.video_gateway = gateway
    camera_settings = CameraSettings(width_px=960, height_px=540, fps=15, bitrate_bps=1_500_000)
    cameras: list[tuple[Any, str]] = []
    for sim in sims:
        vehicle = sim.vehicle
        drone_id = str(sim.system_id)

        def pose(v: Any = vehicle) -> CameraPose:
            pitch = v.gimbal_pitch_deg if v.gimbal_pitch_deg < -5 else -45.0
            return CameraPose(
                v.latitude_deg,
                v.longitude_deg,
                max(v.relative_altitude_m, 2.0),
                v.heading_deg,
                pitch,
            )

        def osd(v: Any = vehicle, name: str = drone_id) -> OsdInfo:
            return OsdInfo(
                name,
                v.latitude_deg,
                v.longitude_deg,
                v.relative_altitude_m,
                v.heading_deg,
                str(getattr(v.mode, "name", v.mode)),
            )

        url = udp_url(free_udp_port())
        cameras.append((pose, url))
        gateway.add_drone(drone_id, url, osd)

    async def run_cameras() -> None:
        """Build the synthetic world once (seconds of CPU and ~50 MB) for every camera."""
        world = await asyncio.to_thread(build_world)
        async with asyncio.TaskGroup() as tasks:
            for pose, url in cameras:
                tasks.create_task(SimCamera(pose, url, camera_settings, world=world).run())

    services.runners["cameras"] = run_cameras
    recorder = FlightRecording(services, Path(services.settings.recordings_dir))
    services.runners["flight-recording"] = recorder.run


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
