"""jinghang.simulator: a built-in ArduCopter-compatible multicopter that speaks MAVLink over
TCP on SITL's ports (5760 + 10 * instance), a fleet launcher, and the launcher for the real
ArduPilot SITL binary.

    async with SimulatorServer(home=(lat, lon, alt, hdg), speedup=10, tcp_port=0) as server:
        server.address      # "tcp:127.0.0.1:PORT"
        server.vehicle      # live SimVehicle: latitude_deg, relative_altitude_m, heading_deg,
                            # gimbal_pitch_deg, camera_triggers, ...
    async with start_vehicle("builtin" | "sitl", home=..., speedup=...) as connection: ...
"""

from jinghang.simulator.backends import start_vehicle
from jinghang.simulator.fleet import SimFleet
from jinghang.simulator.server import SimulatorServer, parse_home
from jinghang.simulator.vehicle import SimVehicle

__all__ = ["SimFleet", "SimVehicle", "SimulatorServer", "parse_home", "start_vehicle"]
